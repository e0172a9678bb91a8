def halve_until_small_grad(x):
    # forward pass
    x_1, _n = x, 0
    while x_1 > 1.0:
        x_1 = x_1 * 0.5
        _n = _n + 1
    # backward pass
    x_times_x_bar = 1.0
    # return x * x  (golden_functions.py:71)
    x_bar = x_times_x_bar * x_1 * 2.0
    # while x > 1.0:  (golden_functions.py:69)
    for _ in range(_n):
        # x = x * 0.5  (golden_functions.py:70)
        x_bar = x_bar * 0.5
    # def halve_until_small(x):  (golden_functions.py:68)
    x_bar = as_own_gradient(x_bar, x)
    return x_bar
