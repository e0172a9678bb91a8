def detach_grad(x):
    # forward pass
    u = stop_gradient(x * x)
    # backward pass
    sum_z_bar = 1.0
    # z = u * x  (golden_functions.py:42)
    x_bar = sum_z_bar * u
    return x_bar
