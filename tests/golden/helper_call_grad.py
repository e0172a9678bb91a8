def two_layer_loss_grad(W1, b1, W2, x, y):
    # forward pass
    x_matmul_W1 = x @ W1
    x_matmul_W1 += b1
    hidden = np.tanh(x_matmul_W1, out=x_matmul_W1)
    prediction = hidden @ W2
    prediction_minus_y = prediction - y
    # backward pass
    mean_bar = 1.0
    # return np.mean((prediction - target) ** 2)  (corpus_calls_helpers.py:57)
    prediction_bar = mean_bar / prediction_minus_y.size * 2 * prediction_minus_y
    # prediction = hidden @ W2  (corpus_calls.py:41)
    hidden_bar = prediction_bar @ W2.T
    W2_bar = hidden.T @ prediction_bar
    # return np.tanh(x @ W + b)  (corpus_calls_helpers.py:38)
    x_matmul_W1_plus_b1_bar = hidden_bar * (1 - hidden ** 2)
    b1_bar = x_matmul_W1_plus_b1_bar.sum(axis=0)
    W1_bar = x.T @ x_matmul_W1_plus_b1_bar
    return (W1_bar, b1_bar, W2_bar)
