def halve_until_small_grad(x):
    # forward pass
    _n = 0
    while x > 1.0:
        x = x * 0.5
        _n = _n + 1
    # backward pass
    x_times_x_bar = 1.0
    # return x * x  (golden_functions.py:71)
    x_bar = x_times_x_bar * x * 2
    # while x > 1.0:  (golden_functions.py:69)
    for _ in range(_n):
        # x = x * 0.5  (golden_functions.py:70)
        x_bar = x_bar * 0.5
    return x_bar
