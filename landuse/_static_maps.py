def plan_map(*a, **k): raise NotImplementedError
def parcel_sketch(*a, **k): raise NotImplementedError
def save_figure(*a, **k): raise NotImplementedError
