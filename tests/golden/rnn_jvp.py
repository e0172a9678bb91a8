def rnn_jvp(W, U, x, W_dot):
    T = x.shape[0]
    h = np.zeros((T + 1, W.shape[0]))
    h_dot = zeros_like_input(h)
    for t in range(T):
        h_t = h[t]
        W_matmul_h_t = W @ h_t
        W_matmul_h_t += U @ x[t]
        tanh_plus_W_matmul_h_t = np.tanh(W_matmul_h_t, out=W_matmul_h_t)
        tanh_plus_W_matmul_h_t_dot = (W_dot @ h_t + W @ h_dot[t]) * (1 - tanh_plus_W_matmul_h_t ** 2)
        t_plus_1 = t + 1
        h[t_plus_1] = tanh_plus_W_matmul_h_t
        h_dot[t_plus_1] = tanh_plus_W_matmul_h_t_dot
    h_T = h[T]
    sum_h_T_pow_2 = (h_T ** 2).sum()
    sum_h_T_pow_2_dot = np.sum(h_dot[T] * 2 * h_T)
    return sum_h_T_pow_2, sum_h_T_pow_2_dot
