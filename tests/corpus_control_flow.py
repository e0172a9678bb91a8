"""A corpus of small NumPy programs with control flow, for `test_control_flow.py`.

Each program is a plain module-level function (adcompiler reads its source) whose
docstring says what it exercises. Every program returns a scalar. The argument sets
that drive each branch side and trip count are in `test_control_flow.CASES`.
"""
import math

import numpy as np

# ============================================================ if / elif / else


def if_scalar_sign(a):
    """`if` on a differentiated Python float: each side a different polynomial."""
    if a > 0:
        y = a * a * 3.0
    else:
        y = -2.0 * a + a * a * a
    return y


def if_array_sum(b):
    """`if` on `np.sum` of a differentiated array."""
    if np.sum(b) > 0:
        y = b * b
    else:
        y = np.sin(b)
    return np.sum(y)


def if_norm_condition(b):
    """`np.linalg.norm` (maybe without a rule) used only in the condition."""
    if np.linalg.norm(b) < 2.0:
        y = np.exp(b)
    else:
        y = b / 3.0
    return np.sum(y)


def if_nondiff_flag(x, flag):
    """Condition on a non-differentiated int argument."""
    if flag > 0:
        y = np.tanh(x)
    else:
        y = x * x
    return np.sum(y)


def if_without_else(x):
    """`if` with no `else`: the variable keeps its old value on one side."""
    y = x * 2.0
    if np.mean(x) > 0:
        y = y * y
    return np.sum(y)


def if_and(a, b):
    """`and` of two conditions on differentiated values."""
    if a > 0 and np.sum(b) > 0:
        y = a * b
    else:
        y = b - a
    return np.sum(y * y)


def if_or(a, b):
    """`or` of two conditions on differentiated values."""
    if a > 1.0 or np.sum(b) < 0:
        y = a * np.exp(b)
    else:
        y = np.sin(a * b)
    return np.sum(y)


def if_not(x):
    """`not` of a condition."""
    if not np.sum(x) > 0:
        y = -x * 3.0
    else:
        y = x * x
    return np.sum(y)


def if_and_or_not(a, b, c):
    """A boolean combination of `and`, `or` and `not` over three scalars."""
    if (a > 0 and not b > 0) or c > 2.0:
        y = a * b + c
    else:
        y = a * c - b * b
    return y


def if_three_and(a, b, c):
    """`a and b and c`: a chain of three operands."""
    if a > 0 and b > 0 and c > 0:
        y = a * b * c
    else:
        y = a + b + c
    return y


def if_all_positive(x):
    """`np.all` of a comparison as the condition."""
    if np.all(x > 0):
        y = np.log(x)
    else:
        y = x * 0.5
    return np.sum(y)


def if_not_any(x):
    """`not np.any(...)` as the condition."""
    if not np.any(x > 5.0):
        y = x * x
    else:
        y = x
    return np.sum(y)


def elif_chain(a):
    """An `elif` chain of four cases on a float."""
    if a < -1.0:
        y = -a
    elif a < 0.0:
        y = a * a
    elif a < 1.0:
        y = np.sin(a)
    else:
        y = a * a * a
    return y


def elif_chain_arrays(x, w):
    """An `elif` chain whose conditions look at an array and whose bodies mix two arrays."""
    m = np.mean(x)
    if m > 1.0:
        y = x * w
    elif m > 0.0:
        y = x + w * w
    else:
        y = np.exp(x) * w
    return np.sum(y)


def elif_without_else(a):
    """`if`/`elif` and no `else`: one side keeps the old value."""
    y = a * 2.0
    if a > 1.0:
        y = a * a
    elif a < -1.0:
        y = -a * a
    return y


def nested_if(a, b):
    """`if` inside both sides of an `if`."""
    if a > 0:
        if b > 0:
            y = a * b
        else:
            y = a - b
    else:
        if b > 0:
            y = a * a + b
        else:
            y = b * b * a
    return y


def nested_if_partial(x):
    """An inner `if` without `else` inside an outer `if`, modifying an outer variable."""
    y = x * 1.5
    if np.sum(x) > 0:
        y = y + x * x
        if np.max(x) > 1.0:
            y = y * 2.0
    return np.sum(y)


def if_several_vars(a, b):
    """A branch that assigns several variables, some used after it."""
    if a > b:
        hi = a
        lo = b
        gap = a - b
    else:
        hi = b
        lo = a
        gap = b - a
    return hi * 2.0 + lo * 3.0 + gap * gap


def if_local_only(a, x):
    """A variable assigned in one branch only and used only in that branch."""
    if a > 0:
        t = a * x
        y = np.sum(t * t)
    else:
        y = np.sum(x) * a
    return y


def if_shape_condition(x):
    """A condition on an array's shape (an int, not differentiated)."""
    if x.shape[0] > 2:
        y = x[0] * x[1] * x[2]
    else:
        y = x[0] * 2.0
    return y


def if_saved_condition(a, x):
    """A condition computed before the `if` and kept in a variable."""
    pos = a > 0
    y = x * a
    if pos:
        y = y * y
    return np.sum(y)


def if_both_branches_return(a):
    """Both sides of an `if` end in `return`."""
    if a > 0:
        return a * 2.0
    else:
        return a * a


def if_vector_output(x):
    """A branch in a function with an array output (checked through its VJP)."""
    if np.sum(x) > 0:
        y = x * x
    else:
        y = np.sin(x)
    return y


def if_branch_unused_value(x, a):
    """A branch that computes on differentiated values but gives a constant."""
    if a > 0:
        y = x * 0.0 + 1.0
    else:
        y = x * a
    return np.sum(y)


# ============================================================ conditional expressions and values of and/or


def ifexp_scalar(a):
    """A conditional expression choosing between two differentiated expressions."""
    y = a * a if a > 0 else -a * 3.0
    return y + a


def ifexp_nested(a):
    """Nested conditional expressions."""
    y = a * 2.0 if a > 1.0 else (a * a if a > -1.0 else -a)
    return y * a


def ifexp_constant_factor(x, s):
    """A conditional expression choosing a constant factor, inside a bigger expression."""
    return np.sum(x * (2.0 if s > 0 else 3.0))


def ifexp_array(x, w):
    """A conditional expression between two arrays, conditioned on their sums."""
    y = x * w if np.sum(w) > 0 else x - w
    return np.sum(y * y)


def ifexp_and_condition(a, b):
    """A conditional expression whose test is an `and`."""
    y = a * b if a > 0 and b > 0 else a - b
    return y * y


def ifexp_not_condition(a, b):
    """A conditional expression whose test is a `not`."""
    y = b if not a > 0 else a
    return y * y


def or_value(a, b):
    """`a or b` as a value: `a` when `a` is truthy, else `b`."""
    y = a or b
    return y * y * b


def and_value(a, b):
    """`a and b` as a value: `b` when `a` is truthy, else `a`."""
    y = a and b
    return y * a + b


# ============================================================ for loops


def for_range_int(x, n):
    """`for` over `range(n)` with `n` an int argument: 0, 1 and many iterations."""
    y = x
    for _ in range(n):
        y = y * x + 1.0
    return np.sum(y)


def for_range_shape(x):
    """Loop bound from an array's shape, reading elements by index."""
    s = 0.0
    for i in range(x.shape[0]):
        s = s + x[i] * x[i] * (i + 1)
    return s


def for_range_len(x):
    """Loop bound from `len(x)`."""
    s = 1.0
    for i in range(len(x)):
        s = s * (1.0 + x[i])
    return s


def for_range_start_stop_step(x, n):
    """`range(start, stop, step)` from an int argument."""
    s = 0.0
    for i in range(1, n, 2):
        s = s + x[i] * x[i - 1]
    return s


def for_over_rows(A):
    """Iterating over an array's rows."""
    s = 0.0
    for row in A:
        s = s + np.sum(row * row) * np.sum(row)
    return s


def for_over_tuple(a, b, c):
    """Iterating over a tuple of differentiated arrays."""
    s = 0.0
    for v in (a, b, c):
        s = s + np.sum(v * v)
    return s


def for_over_list(a, b):
    """Iterating over a list of differentiated values."""
    total = a * 0.0
    for v in [a, b, a]:
        total = total + np.sin(v)
    return np.sum(total)


def for_over_constant_tuple(x):
    """Horner's rule over a constant tuple of coefficients."""
    y = 0.0
    for c in (1.0, -2.0, 0.5, 3.0):
        y = y * x + c
    return np.sum(y)


def for_horner_coeffs(coeffs, x):
    """Horner's rule over a coefficient array: differentiate wrt the coefficients and x."""
    y = 0.0
    for c in coeffs:
        y = y * x + c
    return y


def for_zip(xs, ys):
    """`zip` over two arrays."""
    s = 0.0
    for u, v in zip(xs, ys):
        s = s + u * v * v
    return s


def for_zip_three(xs, ys, zs):
    """`zip` over three arrays' rows."""
    s = 0.0
    for u, v, w in zip(xs, ys, zs):
        s = s + np.sum(u * v) * np.sum(w)
    return s


def for_enumerate(xs):
    """`enumerate`: the index weights the element."""
    s = 0.0
    for i, x in enumerate(xs):
        s = s + (i + 1) * x * x
    return s


def for_enumerate_rows(A, w):
    """`enumerate` over rows, with a second differentiated argument."""
    s = 0.0
    for i, row in enumerate(A):
        s = s + np.sum(row * w) * (i + 0.5)
    return s


def nested_loops(A):
    """Two nested `range` loops over a matrix's indices."""
    s = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            s = s + A[i, j] * A[i, j] * (i - j)
    return s


def nested_loops_rows(A, x):
    """An outer loop over rows, an inner loop over a vector's elements."""
    total = 0.0
    for row in A:
        acc = 0.0
        for v in x:
            acc = acc + np.sum(row) * v
        total = total + acc * acc
    return total


def triple_nested_loops(x, n):
    """Three nested loops, the innermost depending on the outer indices."""
    s = 0.0
    for i in range(n):
        for j in range(i):
            for k in range(j + 1):
                s = s + x[i] * x[j] * x[k]
    return s


def loop_carried_pair(a, b, n):
    """Two carried values updated together (Fibonacci-like), tuple assignment."""
    for _ in range(n):
        a, b = b, a + b * 0.5
    return np.sum(a * b)


def loop_mixed_state(x, n):
    """Carried state: a differentiated array, a float, and an int counter."""
    y = x
    scale = 1.0
    k = 0
    for _ in range(n):
        k = k + 2
        scale = scale * 0.5
        y = np.sin(y) * scale + x * k
    return np.sum(y)


def loop_accumulate_float(x):
    """Accumulating into a Python float."""
    total = 0.0
    for i in range(3):
        total = total + np.sum(x ** (i + 1))
    return total


def loop_accumulate_array(x, n):
    """Accumulating into an array created with `np.zeros_like`."""
    acc = np.zeros_like(x)
    for i in range(n):
        acc = acc + np.cos(x * i)
    return np.sum(acc * x)


def loop_power(x, n):
    """Repeated multiplication: x ** (n + 1)."""
    y = x
    for _ in range(n):
        y = y * x
    return y


def loop_reassign_argument(x, n):
    """The differentiated argument itself is reassigned in the loop."""
    for _ in range(n):
        x = x * 0.5 + np.tanh(x)
    return np.sum(x)


def loop_var_after(x, n):
    """A variable assigned only inside the loop, read after it (n >= 1)."""
    for i in range(n):
        last = x * (i + 1.0)
    return np.sum(last * last)


def loop_target_after(x, n):
    """The loop target read after the loop."""
    i = 0
    for i in range(n):
        x = x * 1.5
    return np.sum(x) * (i + 1)


def loop_power_copied(x, n):
    """`loop_power` with the initial value copied (`y = x * 1.0`) instead of aliased."""
    y = x * 1.0
    for _ in range(n):
        y = y * x
    return y


def loop_augmented_assignment(x, n):
    """`+=` and `*=` on carried floats."""
    s = 0.0
    p = 1.0
    for i in range(n):
        s += x[i] * x[i]
        p *= 1.0 + x[i]
    return s * p


def loop_target_reassigned(x):
    """The loop target reassigned inside the body."""
    s = 0.0
    for v in x:
        v = v * 2.0
        s = s + v * v
    return s


def loop_target_shadows(x):
    """A variable assigned before the loop and used as its target: its last element after it."""
    v = 1.0
    for v in x:
        v = v * 1.0
    return v * 2.0


def for_over_columns(A):
    """Iterating over the rows of a transpose (the columns)."""
    s = 0.0
    for col in A.T:
        s = s + np.sum(col) ** 2
    return s


def for_over_slice(x):
    """Iterating over a slice of an array."""
    s = 0.0
    for v in x[1:]:
        s = s + v * v
    return s


def for_range_negative_step(x):
    """`range` counting down with a negative step."""
    s = 0.0
    for i in range(x.shape[0] - 1, -1, -1):
        s = s * 0.5 + x[i]
    return s


def for_reversed_range(x):
    """`reversed(range(...))` as the iterable."""
    s = 0.0
    for i in reversed(range(x.shape[0])):
        s = s * 0.5 + x[i]
    return s


def nested_loops_alias(A, s):
    """An inner loop whose initial value is an outer carried value that the inner body also reads."""
    for row in A:
        acc = s
        for v in row:
            acc = acc * v + s
        s = acc
    return s


def loop_vector_output(x, n):
    """A loop in a function with an array output (checked through its VJP)."""
    y = x * 1.0
    for _ in range(n):
        y = np.tanh(y) * x
    return y


def loop_matrix_power(A, v, n):
    """A matrix applied n times to a vector."""
    for _ in range(n):
        v = A @ v
    return np.sum(v * v)


def loop_cumprod(x):
    """A running product over the elements, summed."""
    p = 1.0
    s = 0.0
    for v in x:
        p = p * v
        s = s + p
    return s


def loop_if_on_index(x):
    """An `if` on the loop index inside a loop."""
    s = 0.0
    for i in range(x.shape[0]):
        if i % 2 == 0:
            s = s + x[i] * x[i]
        else:
            s = s - np.sin(x[i])
    return s


def loop_if_on_value(x):
    """An `if` on a differentiated element inside a loop."""
    s = 0.0
    for v in x:
        if v > 0:
            s = s + v * v
        else:
            s = s * 0.5 + v
    return s


def loop_ifexp(x):
    """A conditional expression inside a loop."""
    s = 0.0
    for v in x:
        s = s + (v * v if v > 0 else -v * 0.5)
    return s


def loop_local_in_branch(x):
    """A variable assigned and used only in one branch of an `if` inside a loop."""
    s = 0.0
    for v in x:
        if v > 0:
            t = v * 3.0
            s = s + t * t
        else:
            s = s + v
    return s


def loop_outer_product(x, y):
    """Nested loops accumulating an array (rows of an outer product)."""
    acc = np.zeros_like(y)
    for i in range(x.shape[0]):
        for j in range(2):
            acc = acc + x[i] * y * (j + 1)
    return np.sum(acc * acc)


def rnn(W, U, x):
    """A tanh RNN over the rows of x; differentiated wrt W, U and x."""
    T = x.shape[0]
    h = np.zeros(W.shape[0])
    for t in range(T):
        h = np.tanh(W @ h + U @ x[t])
    return np.sum(h ** 2)


def float_only_loop(a, b, n):
    """Python floats only: a loop and a branch."""
    s = a
    for i in range(n):
        if s > 2.0:
            s = s * 0.5 + b
        else:
            s = s * b + a
    return s


def mixed_float_array(x, scale):
    """A float argument scaling arrays in a loop."""
    y = x
    for _ in range(3):
        y = y * scale + np.sum(y) * 0.1
    return np.sum(y) * scale


# ============================================================ break and continue


def break_in_branch(x, threshold):
    """`break` in a branch, on an accumulated differentiated value."""
    s = 0.0
    for v in x:
        s = s + v * v
        if s > threshold:
            break
    return s


def break_on_index(x, n):
    """`break` on the loop index: a trip count decided by an int argument."""
    s = 1.0
    for i in range(x.shape[0]):
        if i >= n:
            break
        s = s * x[i]
    return s


def break_nested_branch(x):
    """`break` inside a nested branch."""
    s = 0.0
    for v in x:
        if v > 0:
            if s > 1.0:
                break
            s = s + v
        else:
            s = s + v * v
    return s


def continue_in_branch(x):
    """`continue` skipping the negative elements."""
    s = 0.0
    for v in x:
        if v < 0:
            continue
        s = s + v * v
    return s


def continue_nested_branch(x):
    """`continue` inside a nested branch, with work after it."""
    s = 0.0
    for v in x:
        if v > 0:
            if v > 1.0:
                continue
            s = s + np.exp(v)
        s = s + v
    return s


def break_and_continue(x):
    """`continue` and `break` in the same loop."""
    s = 0.0
    for v in x:
        if v < 0:
            continue
        if v > 2.0:
            break
        s = s + v * v * v
    return s


def elif_continue(x):
    """`continue` in the first arm of an `elif` chain inside a loop."""
    s = 0.0
    for v in x:
        if v > 1.0:
            continue
        elif v > 0:
            s = s + v
        else:
            s = s - v * v
    return s


def continue_last(x):
    """A `continue` as the last statement of the body (a no-op)."""
    s = 0.0
    for v in x:
        s = s + v
        continue
    return s


def break_inner_loop(A):
    """`break` in the inner loop of two nested loops: only the inner loop stops."""
    total = 0.0
    for row in A:
        for v in row:
            if v < 0:
                break
            total = total + v * v
    return total


def continue_inner_loop(A):
    """`continue` in the inner loop of two nested loops."""
    total = 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if j == i:
                continue
            total = total + A[i, j] * A[j, i]
    return total


def break_outer_after_inner(A):
    """`break` of the outer loop decided after an inner loop."""
    total = 0.0
    for row in A:
        for v in row:
            total = total + v * v
        if total > 2.0:
            break
    return total


def break_in_while_in_for(x):
    """`break` of a `while True` nested in a `for` loop."""
    s = 0.0
    for v in x:
        k = 0
        while True:
            s = s + v * v
            k = k + 1
            if k >= 2:
                break
    return s


# ============================================================ early return


def return_in_branch(a):
    """An early `return` in an `if`; the rest of the function runs otherwise."""
    if a > 0:
        return a * a
    y = np.sin(a)
    return y * a


def return_in_nested_branch(a, b):
    """An early `return` from a nested branch."""
    y = a * b
    if a > 0:
        if b > 0:
            return y * y
        y = y + b
    return y * a


def return_in_elif(a):
    """Returns from each arm of an `elif` chain, and after it."""
    if a > 2.0:
        return a * 3.0
    elif a > 0.0:
        return a * a
    elif a > -2.0:
        y = a * a * a
    else:
        y = -a
    return y + 1.0


def return_before_loop(x, n):
    """An early `return` before a loop."""
    if n == 0:
        return np.sum(x)
    y = x
    for _ in range(n):
        y = y * x
    return np.sum(y)


def return_in_loop(x, threshold):
    """`return` from inside a loop, else a fall-through `return` after it."""
    s = 0.0
    for v in x:
        s = s + v
        if v > threshold:
            return s * v
    return s * 2.0


def return_in_inner_loop(A, threshold):
    """`return` from the inner loop of two nested loops."""
    s = 0.0
    for row in A:
        for v in row:
            s = s + v * v
            if s > threshold:
                return s * 2.0
        s = s * 0.5
    return s


def return_in_while(x):
    """`return` from inside a `while` loop."""
    y = x
    i = 0
    while i < 5:
        y = y * 1.5
        if np.sum(y) > 10.0:
            return np.sum(y * y)
        i = i + 1
    return np.sum(y)


def return_in_nested_loop_branch(A, x):
    """`return` from a nested branch of the inner loop of two nested loops."""
    s = 0.0
    for row in A:
        for v in row:
            if v > 0:
                s = s + v * np.sum(x)
                if s > 3.0:
                    return s * s
            else:
                s = s - v
    return s + np.sum(x * x)


def return_in_while_in_for(x):
    """`return` from a `while` loop nested in a `for` loop, on an `and` condition."""
    s = 0.0
    for v in x:
        t = v
        while t < 10.0:
            t = t * 2.0
            if t > 6.0 and v > 1.0:
                return t * s
        s = s + t
    return s


# ============================================================ for ... else, while ... else


def for_else_no_break(x):
    """`for ... else` without `break`: the `else` always runs."""
    s = 0.0
    for v in x:
        s = s + v * v
    else:
        s = s * 3.0
    return s


def for_else_break(x, threshold):
    """`for ... else` with a `break`: the `else` runs only if the loop did not break."""
    s = 0.0
    for v in x:
        s = s + v
        if v > threshold:
            break
    else:
        s = s * s
    return s


def for_else_inner_break(A):
    """`for ... else` whose only `break` belongs to an inner loop: the `else` always runs."""
    s = 0.0
    for row in A:
        for v in row:
            if v < 0:
                break
            s = s + v
    else:
        s = s * 2.0
    return s


def for_else_return(x):
    """`return` in the `else` of a `for` loop that can break."""
    s = 0.0
    for v in x:
        if v > 5.0:
            break
        s = s + v * v
    else:
        return s * 3.0
    return s


def while_else_in_for(x):
    """`while ... else` with a `break`, nested in a `for` loop."""
    s = 0.0
    for v in x:
        t = v
        while t < 2.0:
            t = t * 1.5
            if t > 1.9:
                break
        else:
            s = s + 1.0
        s = s + t
    return s


def while_else_no_break(x):
    """`while ... else` without `break`."""
    y = x
    i = 0
    while i < 3:
        y = y * 1.1 + 0.2
        i = i + 1
    else:
        y = y * y
    return np.sum(y)


def while_else_break(x, limit):
    """`while ... else` with a `break` on a differentiated value."""
    y = x
    i = 0
    while i < 4:
        y = y * 2.0
        if np.sum(y) > limit:
            break
        i = i + 1
    else:
        y = -y
    return np.sum(y * x)


# ============================================================ while loops


def d2l_doubling_sum(a):
    """The d2l example: doubling while the norm is small, then a branch on the sign of the sum."""
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return np.sum(c)


def d2l_doubling_value(a):
    """The d2l example's `c` (not differentiated), for checking `grad == c / a`."""
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if np.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def while_value_dependent(x, a):
    """A `while` whose trip count depends on a differentiated float."""
    s = a
    while s < 10.0:
        s = s * 1.5 + x
    return s


def while_counter(x, n):
    """A `while` with an int counter: 0, 1 and many iterations."""
    i = 0
    y = x
    while i < n:
        y = np.sin(y) + x
        i = i + 1
    return np.sum(y)


def while_and_condition(x, n):
    """A `while` whose condition is an `and` of a counter and a differentiated value."""
    i = 0
    s = 0.0
    while i < n and s < 5.0:
        s = s + x[i] * x[i]
        i = i + 1
    return s


def while_break(x):
    """A `while True` loop left by `break`."""
    y = x
    while True:
        y = y * 1.7
        if np.sum(y * y) > 20.0:
            break
    return np.sum(y)


def while_continue(x):
    """`continue` in a `while` loop."""
    i = 0
    s = 0.0
    while i < x.shape[0]:
        v = x[i]
        i = i + 1
        if v < 0:
            continue
        s = s + v * v
    return s


def while_several_carried(x, a):
    """A `while` carrying a differentiated array, a differentiated float and a count."""
    y = x
    t = a
    k = 0
    while t < 4.0:
        y = y * t
        t = t + 1.0
        k = k + 1
    return np.sum(y) * t + k


def while_tuple_update(a, b):
    """A `while` updating two carried floats with one tuple assignment."""
    while a < 5.0:
        a, b = a + b, a * 0.5 + 1.0
    return a * b


def while_newton_sqrt(a):
    """Newton's iteration for the square root, stopping on a residual."""
    y = a
    while np.abs(y * y - a) > 1e-12 * a:
        y = 0.5 * (y + a / y)
    return y


def while_in_for(x, n):
    """A value-dependent `while` nested in a `for` loop."""
    s = 0.0
    for v in x:
        t = v
        while t < 3.0:
            t = t * 2.0
        s = s + t * n
    return s


def for_in_while(x):
    """A `for` loop nested in a value-dependent `while` loop."""
    y = x
    while np.sum(y) < 10.0:
        for i in range(2):
            y = y + np.exp(y) * 0.1
    return np.sum(y * y)


def append_in_loop(x):
    """`items.append(v)` in a loop, the list then summed."""
    items = []
    for i in range(3):
        items.append(x * (i + 1.0))
    return np.sum(sum(items) ** 2)


def append_until_break(x):
    """`items.append(v)` in a loop left by `break`, items read back in reverse."""
    items = []
    y = x
    for i in range(10):
        if np.sum(y) > 4.0:
            break
        items.append(y)
        y = y * 1.5
    total = 0.0
    for v in reversed(items):
        total = total * 0.5 + np.sum(np.sin(v))
    return total


def for_reversed_rows(A):
    """`reversed(A)` over an array's rows, with loop-carried state."""
    s = np.zeros(A.shape[1])
    for row in reversed(A):
        s = np.tanh(s * 0.5 + row)
    return np.sum(s ** 2)


def append_copies_then_update(x):
    """Rows copied into a list by `append`, then the array updated: the list keeps the old rows."""
    y = x * 1.0
    rows = []
    for i in range(2):
        rows.append(y[i].copy())
    y[0] = 5.0
    return np.sum(rows[0] * y[1]) + np.sum(y * x)


def augmented_on_own_array(x):
    """`acc += v` and `acc *= c` on an array the function made, nothing else holding it."""
    acc = np.zeros_like(x)
    for i in range(3):
        acc += x * i
    acc *= 2.0
    return np.sum(acc ** 2)


def scalar_start_becomes_array(x):
    """A loop variable that starts as a float and becomes an array in the first iteration."""
    t = 0.0
    for i in range(3):
        t = t * 0.5 + x * (i + 1.0)
    return np.sum(t ** 2)


def scalar_start_times_sum(A):
    """A float accumulator scaled each step, over reversed rows, with a reduction added."""
    t = 0.0
    for row in reversed(A):
        t = t * 0.5 + np.sum(row ** 2)
    return t


def tuple_carried(w):
    """A tuple of an array and a float carried through a loop, unpacked each step."""
    state = (np.zeros(2), 0.0)
    for t in range(3):
        h, acc = state
        h = np.tanh(h + w)
        state = (h, acc + np.sum(h))
    return state[1]


def list_carried(w):
    """A list carried through a loop, read by index."""
    state = [np.zeros(2), 0.0]
    for t in range(3):
        h = np.tanh(state[0] + w)
        state = [h, state[1] + np.sum(h)]
    return state[1]


def tuple_of_floats_carried(x):
    """A tuple of two floats carried through a loop."""
    state = (x, 0.0)
    for t in range(3):
        a, acc = state
        a = np.sin(a) * x
        state = (a, acc + a * a)
    return state[1]


def list_of_lists_built_in_loops(x):
    """A new list per outer iteration, appended to in the inner loop and kept by the outer list."""
    rows = []
    for i in range(2):
        row = []
        for j in range(3):
            row.append(x[j] * (i + 1.0))
        rows.append(row)
    return np.sum(np.array(rows) ** 2)


def math_function_in_loop(a):
    """`math.sin` of a value carried through a loop: its adjoint is summed to a float."""
    y = a
    for i in range(3):
        y = y * a + math.sin(y)
    return y


def reduction_in_a_branch_not_taken(x):
    """`np.sum(x, axis=-1)` in the branch a 0-d `x` does not take."""
    return np.sum(np.sum(x, axis=-1) if np.ndim(x) else x)


def enumerate_from_one(X):
    """`enumerate(X, 1)`: the count starts at 1."""
    s = 0.0
    for k, row in enumerate(X, 1):
        s = s + k * np.sum(row ** 2)
    return s


def enumerate_start_keyword_over_display(w):
    """`enumerate((w, 2.0 * w), start=2)` over a tuple written in place (unrolled)."""
    s = 0.0
    for k, v in enumerate((w, 2.0 * w), start=2):
        s = s + k * np.sum(v ** 2)
    return s


def dict_carried_over_a_float(x):
    """A dict carried through a loop, in a function of a Python float (forward mode)."""
    p = {"a": x, "b": 0.0}
    for i in range(3):
        p = {"a": p["a"] * x, "b": p["b"] + np.sin(p["a"])}
    return p["b"]


def dict_item_indexed_in_loop(p):
    """A list in a dict argument, indexed by the loop variable."""
    s = 0.0
    for i in range(2):
        s = s + p["w"][i]
    return s + p["w"][0] * 2.0


def mlp_layers_from_dict(params, x):
    """An MLP whose layers are lists of arrays in a dict, read by index in the loop."""
    h = x
    for i in range(len(params["W"])):
        h = np.tanh(params["W"][i] @ h + params["b"][i])
    return np.sum(h ** 2)


def layers_as_list_of_dicts(layers, h):
    """`for layer in layers: layer["W"] @ h`: an item of a list of dicts, at a run-time index."""
    for layer in layers:
        h = np.tanh(layer["W"] @ h + layer["b"])
    return np.sum(h ** 2)


def layers_as_list_of_pairs(params, x):
    """`for W, b in params`: a list of (matrix, vector) pairs passed as an argument."""
    for W, b in params:
        x = np.tanh(W @ x + b)
    return np.sum(x)


def dict_of_constants_carried_over_a_float(x):
    """A dict that starts as constants (its tangent starts as zeros) carried through a loop."""
    d = {"a": 1.0}
    for i in range(2):
        d = {"a": d["a"] * x}
    return d["a"]


def ragged_list_of_lists(ys):
    """Nested loops over a list of lists of different lengths, with arrays and a float."""
    s = 0.0
    for y in ys:
        for v in y:
            s = s + np.sum(v ** 2)
    return s


def broadcast_items_of_a_list(xs):
    """Items of different sizes read at run-time indices, broadcast against each other."""
    s = 0.0
    for i in range(1, len(xs)):
        s = s + np.sum(xs[i] + xs[i - 1]) ** 2
    return s


def nested_item_at_constant_and_run_time_indices(p):
    """`p[0][i]` and `p[0][-1]` both read: one adjoint item by item, one built at run time."""
    s = 0.0
    for i in range(len(p[0])):
        s = s + p[0][i] * p[0][-1]
    return s + p[1] * p[0][0]


def dict_list_item_at_constant_and_run_time_indices(d):
    """`d["a"][i]` and `d["a"][-1]` in a loop."""
    s = 0.0
    for i in range(2):
        s = s + d["a"][i] * d["a"][-1]
    return s


def list_built_in_loop_read_twice(x):
    """A list built by `append` in a loop, read by two reductions: its adjoints add item by item."""
    losses = []
    for i in range(3):
        losses.append(np.sum(x ** (i + 1)))
    return sum(losses) / len(losses) + max(losses)


def filtered_comprehension_read_three_times(x):
    """A comprehension with a condition (an `if` in its loop), read by max, min and sum."""
    vals = [x[i] * (i + 1) for i in range(x.size) if x[i] > 0]
    return max(vals) + min(vals) + sum(vals)


def if_results_unread_after_it(x):
    """Two results of one `if`, one of them (`t`) read by the backward pass and the other
    not read after the `if`: each keeps a name of its own."""
    t = 0.5
    if x[0] > 0:
        if x[0] > 5:
            t = 2.0
        y = x * t
        t = 3.0
    else:
        y = x
    return np.sum(y * x)


def loop_body_always_breaks(x):
    """A `for` whose body ends in `break`: one iteration, then out."""
    s = x[0]
    for i in range(3):
        s = s * 2 + x[1]
        break
    return s


def while_true_left_by_break(x):
    """`while True` left by an unconditional `break`."""
    s = x[0]
    while True:
        s = s * 2 + x[1] * s
        break
    return s * s


def loop_body_always_returns(a):
    """A loop whose body ends in `return`."""
    for i in range(3):
        a = a * 2.0 + 1.0
        return a * a
    return a


def for_over_dict_display_keys(x):
    """`for k in d` over a dict written in the function: its keys, as Python gives them (a
    key written twice: its first place, its last value)."""
    d = {0: 5.0, 1: x, 1.0: 7.0}
    weights = {"a": x, "b": x * 2.0}
    s = 0.0
    for k in d:
        s = s + x * k
    for k in weights:
        s = s + weights[k] * 3.0
    return s


def zip_and_enumerate_over_iterators(x):
    """`zip` and `enumerate` of `reversed(range(n))`, and `iter(...)`: made lists to be indexed."""
    s = 0.0
    for a, i in zip(x, reversed(range(3))):
        s = s + a * i
    for k, i in enumerate(reversed(range(3))):
        s = s + x[i] * k * x[k]
    for i in iter(range(2)):
        s = s + x[i] ** 2
    return s


def reversed_displays(x):
    """`reversed` of a list, a tuple and a dict written in the function: last item first."""
    s = 0.0
    for xi in reversed([x, 2.0 * x, 3.0]):
        s = s * 10.0 + xi
    pair = (x, x * x)
    for i, xi in enumerate(reversed(pair)):
        s = s * 10.0 + xi * (i + 1)
    d = {"a": x, "b": 2.0 * x}
    for k in reversed(d):
        s = s * 10.0 + d[k]
    return s


def dict_read_at_a_string_loop_key(x):
    """`d[k]` of a dict made in each iteration, at a key the loop runs over."""
    s = 0.0
    for k in ["a", "b"]:
        d = {"a": x[0], "b": x[1] ** 2}
        s = s + d[k] * x[1]
    return s
