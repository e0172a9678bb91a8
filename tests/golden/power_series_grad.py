def power_series_grad(x, n):
    # forward pass
    term, total = 1.0, 0.0
    _tape = []
    for k in range(n):
        shape_term = np.shape(term)
        shape_total = np.shape(total)
        term_times_x = term * x
        shape_term_times_x = np.shape(term_times_x)
        k_plus_1 = k + 1
        term_1 = term_times_x / k_plus_1
        shape_term_1 = np.shape(term_1)
        total = total + term_1
        _tape.append((shape_total, shape_term_1, k_plus_1, shape_term_times_x, shape_term, term))
        term = term_1
    # backward pass
    total_bar = 1.0
    # for k in range(n):  (golden_functions.py:62)
    term_bar, x_bar = zeros_like_input(term), zeros_like_input(x)
    for shape_total, shape_term, k_plus_1, shape_term_times_x, shape_term_1, term_1 in reversed(_tape):
        # total = total + term  (golden_functions.py:64)
        total_bar_1 = unbroadcast(total_bar, shape_total)
        term_bar = term_bar + unbroadcast(total_bar, shape_term)
        # term = term * x / (k + 1)  (golden_functions.py:63)
        term_times_x_bar = unbroadcast(term_bar / k_plus_1, shape_term_times_x)
        term_bar = unbroadcast(term_times_x_bar * x, shape_term_1)
        x_bar += unbroadcast(term_times_x_bar * term_1, np.shape(x))
        total_bar = total_bar_1
    # def power_series(x, n):  (golden_functions.py:59)
    x_bar = as_own_gradient(x_bar, x)
    return total, x_bar
