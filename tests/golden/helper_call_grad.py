def two_layer_loss_grad(W1, b1, W2, x, y):
    # forward pass
    hidden = np.tanh(x @ W1 + b1)
    prediction = hidden @ W2
    prediction_minus_y = prediction - y
    prediction_minus_y_pow_2 = prediction_minus_y ** 2
    mean = np.mean(prediction_minus_y_pow_2)
    # backward pass
    mean_bar = 1.0
    # return np.mean((prediction - target) ** 2)  (corpus_calls_helpers.py:57)
    prediction_minus_y_pow_2_bar = np.broadcast_to(mean_bar / np.size(prediction_minus_y_pow_2), np.shape(prediction_minus_y_pow_2))
    prediction_bar = prediction_minus_y_pow_2_bar * 2 * prediction_minus_y
    # prediction = hidden @ W2  (corpus_calls.py:41)
    hidden_bar = prediction_bar @ W2.T
    W2_bar = hidden.T @ prediction_bar
    # return np.tanh(x @ W + b)  (corpus_calls_helpers.py:38)
    x_matmul_W1_plus_b1_bar = hidden_bar * (1 - hidden ** 2)
    b1_bar = np.sum(x_matmul_W1_plus_b1_bar, axis=0)
    W1_bar = x.T @ x_matmul_W1_plus_b1_bar
    return mean, (W1_bar, b1_bar, W2_bar)
