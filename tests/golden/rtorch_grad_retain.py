def rtorch_grad(x1, x2):
    # backward pass
    x7_bar = 1.0
    # x7 = x5 + x6 - 5  (golden_functions.py:22)
    x5_bar = x7_bar
    x6_bar = x7_bar
    # x6 = x4 * 0.2  (golden_functions.py:21)
    x4_bar = x6_bar * 0.2
    # x4 = x2 ** 2  (golden_functions.py:20)
    x2_bar = x4_bar * 2 * x2
    # x5 = x3 * 0.2  (golden_functions.py:19)
    x3_bar = x5_bar * 0.2
    # x3 = x1 ** 2  (golden_functions.py:18)
    x1_bar = x3_bar * 2 * x1
    return (x1_bar, x2_bar), (x3_bar, x4_bar, x5_bar, x6_bar)
