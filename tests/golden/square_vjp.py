def square_vjp(x):
    # forward pass
    y = x * x

    def square_pullback(y_bar):
        # backward pass
        # y = x * x  (golden_functions.py:47)
        x_bar = y_bar * x * 2.0
        return x_bar

    return y, square_pullback
