def power_series_grad(x, n):
    # forward pass
    term, total = 1.0, 0.0
    _tape = []
    for k in range(n):
        shape_term = np.shape(term)
        shape_total = np.shape(total)
        k_plus_1 = k + 1
        term_1 = term * x / k_plus_1
        total = total + term_1
        _tape.append((shape_total, k_plus_1, shape_term, term))
        term = term_1
    # backward pass
    total_bar = 1.0
    # for k in range(n):  (golden_functions.py:62)
    term_bar, x_bar = zeros_like_input(term), zeros_like_input(x)
    for shape_total, k_plus_1, shape_term, term_1 in reversed(_tape):
        # total = total + term  (golden_functions.py:64)
        total_bar_1 = unbroadcast(total_bar, shape_total)
        term_bar = term_bar + total_bar
        # term = term * x / (k + 1)  (golden_functions.py:63)
        term_times_x_bar = term_bar / k_plus_1
        term_bar = unbroadcast(term_times_x_bar * x, shape_term)
        x_bar += term_times_x_bar * term_1
        total_bar = total_bar_1
    return total, x_bar
