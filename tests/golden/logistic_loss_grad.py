def logistic_loss_grad(w, b, x, y):
    # forward pass
    z = x @ w
    z += b
    exp_neg_z = np.exp(-z)
    tmp = 1 + exp_neg_z
    p = 1 / tmp
    tmp_1 = 1 - y
    tmp_2 = 1 - p
    plus_y_times_log_p = y * np.log(p) + tmp_1 * np.log(tmp_2)
    # backward pass
    loss_bar = 1.0
    # loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))  (golden_functions.py:36)
    plus_y_times_log_p_bar = -loss_bar / plus_y_times_log_p.size
    p_bar = -(plus_y_times_log_p_bar * tmp_1 / tmp_2) + plus_y_times_log_p_bar * y / p
    # p = 1 / (1 + np.exp(-z))  (golden_functions.py:35)
    neg_z_bar = -p_bar * p / tmp * exp_neg_z
    z_bar = -neg_z_bar
    # z = x @ w + b  (golden_functions.py:34)
    b_bar = z_bar.sum()
    w_bar = z_bar @ x
    return (w_bar, float(b_bar))
