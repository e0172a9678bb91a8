def detach_grad(x):
    # forward pass
    u = stop_gradient(x * x)
    z = u * x
    sum_z = np.sum(z)
    # backward pass
    sum_z_bar = 1.0
    # z = u * x  (golden_functions.py:42)
    x_bar = sum_z_bar * u
    return sum_z, x_bar
