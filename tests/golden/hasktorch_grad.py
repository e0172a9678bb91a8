def hasktorch_grad(a):
    # forward pass
    b = a + 2
    # backward pass
    out_bar = 1.0
    # out = np.mean(c)  (golden_functions.py:13)
    c_bar = out_bar / a.size
    # c = b * b * 3  (golden_functions.py:12)
    b_bar = c_bar * 3 * b * 2.0
    # b = a + 2  (golden_functions.py:11)
    a_bar = b_bar
    return a_bar
