def power_series_grad(x, n):
    # forward pass
    term, total = 1.0, 0.0
    _tape = []
    for k in range(n):
        k_plus_1 = k + 1
        term_1 = term * x / k_plus_1
        total = total + term_1
        _tape.append((k_plus_1, term))
        term = term_1
    # backward pass
    total_bar = 1.0
    # for k in range(n):  (golden_functions.py:62)
    term_bar, x_bar = zeros_like_input(term), zeros_like_input(x)
    for k_plus_1, term_1 in reversed(_tape):
        # total = total + term  (golden_functions.py:64)
        term_bar += total_bar
        # term = term * x / (k + 1)  (golden_functions.py:63)
        term_times_x_bar = term_bar / k_plus_1
        term_bar = term_times_x_bar * x
        x_bar += term_times_x_bar * term_1
    # def power_series(x, n):  (golden_functions.py:59)
    x_bar = as_own_gradient(x_bar, x)
    return x_bar
