def rnn_grad(W, U, x):
    # forward pass
    T = np.shape(x)[0]
    h = np.zeros((T + 1, np.shape(W)[0]))
    _tape = []
    for t in range(T):
        item_h = h[t]
        item_h_1 = np.copy(item_h)
        W_matmul_item_h = W @ item_h
        shape_W_matmul_item_h = np.shape(W_matmul_item_h)
        item_x = x[t]
        U_matmul_item_x = U @ item_x
        shape_U_matmul_item_x = np.shape(U_matmul_item_x)
        tanh = np.tanh(W_matmul_item_h + U_matmul_item_x)
        shape_tanh = np.shape(tanh)
        t_plus_one = t + 1
        h[t_plus_one] = tanh
        _tape.append((t_plus_one, shape_tanh, tanh, shape_W_matmul_item_h, shape_U_matmul_item_x, item_x, t, item_h_1))
    item_h = h[T]
    item_h_pow_two = item_h ** 2
    sum_item_h_pow_two = np.sum(item_h_pow_two)
    # backward pass
    sum_item_h_pow_two_bar = 1.0
    # return np.sum(h[T] ** 2)  (golden_functions.py:88)
    item_h_bar = np.broadcast_to(sum_item_h_pow_two_bar, np.shape(item_h_pow_two)) * 2 * item_h
    h_bar = getitem_adjoint(item_h_bar, np.shape(h), T)
    # for t in range(T):  (golden_functions.py:86)
    W_bar, x_bar, U_bar = zeros_like_input(W), zeros_like_input(x), zeros_like_input(U)
    for t_plus_one, shape_tanh, tanh, shape_W_matmul_item_h, shape_U_matmul_item_x, item_x, t, item_h_1 in reversed(_tape):
        # h[t + 1] = np.tanh(W @ h[t] + U @ x[t])  (golden_functions.py:87)
        tanh_bar = unbroadcast(np.copy(h_bar[t_plus_one]), shape_tanh)
        h_bar[t_plus_one] = 0.0
        plus_W_matmul_item_h_bar = tanh_bar * (1 - tanh ** 2)
        W_matmul_item_h_bar = unbroadcast(plus_W_matmul_item_h_bar, shape_W_matmul_item_h)
        U_matmul_item_x_bar = unbroadcast(plus_W_matmul_item_h_bar, shape_U_matmul_item_x)
        U_bar = U_bar + matmul_adjoint_a(U_matmul_item_x_bar, U, item_x)
        add_into(x_bar, t, matmul_adjoint_b(U_matmul_item_x_bar, U, item_x))
        W_bar = W_bar + matmul_adjoint_a(W_matmul_item_h_bar, W, item_h_1)
        add_into(h_bar, t, matmul_adjoint_b(W_matmul_item_h_bar, W, item_h_1))
    return sum_item_h_pow_two, (W_bar, U_bar, x_bar)
