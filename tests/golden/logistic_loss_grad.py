def logistic_loss_grad(w, b, x, y):
    # forward pass
    x_matmul_w = x @ w
    z = x_matmul_w + b
    exp_neg_z = np.exp(-z)
    one_plus_exp_neg_z = 1 + exp_neg_z
    p = 1 / one_plus_exp_neg_z
    log_p = np.log(p)
    y_times_log_p = y * log_p
    one_minus_y = 1 - y
    one_minus_p = 1 - p
    log_one_minus_p = np.log(one_minus_p)
    times_one_minus_y = one_minus_y * log_one_minus_p
    plus_y_times_log_p = y_times_log_p + times_one_minus_y
    loss = -np.mean(plus_y_times_log_p)
    # backward pass
    loss_bar = 1.0
    # loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))  (golden_functions.py:36)
    plus_y_times_log_p_bar = np.broadcast_to(-loss_bar / np.size(plus_y_times_log_p), np.shape(plus_y_times_log_p))
    one_minus_p_bar = unbroadcast(unbroadcast(plus_y_times_log_p_bar, times_one_minus_y) * one_minus_y, log_one_minus_p) / one_minus_p
    log_p_bar_over_p = unbroadcast(unbroadcast(plus_y_times_log_p_bar, y_times_log_p) * y, log_p) / p
    p_bar = -one_minus_p_bar + log_p_bar_over_p
    # p = 1 / (1 + np.exp(-z))  (golden_functions.py:35)
    neg_z_bar = -p_bar * p / one_plus_exp_neg_z * exp_neg_z
    z_bar = -neg_z_bar
    # z = x @ w + b  (golden_functions.py:34)
    b_bar = unbroadcast(z_bar, b)
    w_bar = matmul_adjoint_b(unbroadcast(z_bar, x_matmul_w), x, w)
    return loss, (w_bar, b_bar)
