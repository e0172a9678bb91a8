def grow_until_limit_grad(x, limit):
    # forward pass
    y = x
    _tape = []
    for i in range(100):
        gt_y = y > limit
        if gt_y:
            stop = True
        else:
            y = y * 1.5 + 0.1
            stop = False
        _tape.append(gt_y)
        if stop:
            break
    # backward pass
    y_bar = 1.0
    # for i in range(100):  (golden_functions.py:76)
    for gt_y in reversed(_tape):
        if not gt_y:
            # y = y * 1.5 + 0.1  (golden_functions.py:79)
            y_bar = y_bar * 1.5
    # for i in range(100):  (golden_functions.py:76)
    x_bar = y_bar
    # def grow_until_limit(x, limit):  (golden_functions.py:74)
    x_bar = as_gradient(x_bar, x)
    return x_bar
