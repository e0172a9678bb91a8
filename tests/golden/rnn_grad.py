def rnn_grad(W, U, x):
    # forward pass
    T = x.shape[0]
    h = np.zeros((T + 1, W.shape[0]))
    _tape = []
    for t in range(T):
        h_t = h[t]
        h_t_1 = np.copy(h_t)
        W_matmul_h_t = W @ h_t
        x_t = x[t]
        W_matmul_h_t += U @ x_t
        tanh_plus_W_matmul_h_t = np.tanh(W_matmul_h_t, out=W_matmul_h_t)
        shape = tanh_plus_W_matmul_h_t.shape
        t_plus_1 = t + 1
        h[t_plus_1] = tanh_plus_W_matmul_h_t
        _tape.append((t_plus_1, shape, tanh_plus_W_matmul_h_t, x_t, t, h_t_1))
    h_T = h[T]
    # backward pass
    sum_h_T_pow_2_bar = 1.0
    # return np.sum(h[T] ** 2)  (golden_functions.py:88)
    h_bar = getitem_adjoint(sum_h_T_pow_2_bar * 2 * h_T, h.shape, T)
    # for t in range(T):  (golden_functions.py:86)
    W_bar, x_bar, U_bar = zeros_like_input(W), zeros_like_input(x), zeros_like_input(U)
    for t_plus_1, shape, tanh_plus_W_matmul_h_t, x_t, t, h_t in reversed(_tape):
        # h[t + 1] = np.tanh(W @ h[t] + U @ x[t])  (golden_functions.py:87)
        tanh_plus_W_matmul_h_t_bar = unbroadcast(np.copy(h_bar[t_plus_1]), shape)
        h_bar[t_plus_1] = 0.0
        plus_W_matmul_h_t_bar = tanh_plus_W_matmul_h_t_bar * (1 - tanh_plus_W_matmul_h_t ** 2)
        U_bar += np.outer(plus_W_matmul_h_t_bar, x_t)
        add_into(x_bar, t, plus_W_matmul_h_t_bar @ U)
        W_bar += np.outer(plus_W_matmul_h_t_bar, h_t)
        add_into(h_bar, t, plus_W_matmul_h_t_bar @ W)
    return (as_own_gradient(W_bar, W), as_own_gradient(U_bar, U), as_own_gradient(x_bar, x))
