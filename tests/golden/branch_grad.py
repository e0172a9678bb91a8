def branch_grad(x):
    # forward pass
    gt_sum_x = x.sum() > 0
    if gt_sum_x:
        y = x * 2
    else:
        y = np.sin(x)
    # backward pass
    sum_y_times_y_bar = 1.0
    # return np.sum(y * y)  (golden_functions.py:56)
    y_bar = sum_y_times_y_bar * y * 2.0
    if gt_sum_x:
        # y = x * 2  (golden_functions.py:53)
        x_bar = y_bar * 2
    else:
        # y = np.sin(x)  (golden_functions.py:55)
        x_bar = y_bar * np.cos(x)
    # def branch(x):  (golden_functions.py:51)
    x_bar = as_own_gradient(x_bar, x)
    return x_bar
