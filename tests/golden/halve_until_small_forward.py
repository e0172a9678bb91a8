def halve_until_small_grad(x):
    x_dot = 1.0
    while x > 1.0:
        x_dot = x_dot * 0.5
        x = x * 0.5
    x_times_x_dot = x_dot * x * 2.0
    x_times_x_dot = float(x_times_x_dot)
    return x_times_x_dot
