def rstudio_grad(x1, x2):
    # forward pass
    x2_plus_2 = x2 + 2
    y = x1 * x2_plus_2
    # backward pass
    out_bar = 1.0
    # out = np.mean(z)  (golden_functions.py:29)
    z_bar = out_bar / y.size
    # z = y ** 2 * 3  (golden_functions.py:28)
    y_bar = z_bar * 3 * 2 * y
    # y = x1 * (x2 + 2)  (golden_functions.py:27)
    x1_bar = y_bar * x2_plus_2
    x2_bar = (y_bar * x1).sum()
    return (x1_bar, float(x2_bar))
