"""GameOptimizer is a torch.optim.Optimizer: two parameter groups with the rule's step sizes,
learning-rate schedulers drive the rule, and checkpoints keep the scheduled step sizes."""

import numpy as np
import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

import gamedyn as gd


def bilinear():
    x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    return x, y, lambda: (x @ y, -(x @ y))


def test_it_is_a_torch_optimizer_with_one_group_per_player():
    x, y, _ = bilinear()
    opt = gd.bridge.GameOptimizer(gd.optim.gda((0.1, 0.3)), [x], [y])
    assert isinstance(opt, torch.optim.Optimizer)
    assert [(g["player"], g["lr"], g["params"][0] is p) for g, p in zip(opt.param_groups, (x, y))] == [
        ("x", 0.1, True), ("y", 0.3, True)]
    opt.zero_grad()  # torch's; the rules read no .grad


def test_step_hooks_and_the_profiler_record_work_as_in_torchs_optimizers():
    x, y, losses = bilinear()
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    seen = []
    opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", o is opt, args[1] is losses)))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", x.item())))
    handle = register_optimizer_step_pre_hook(lambda o, a, k: seen.append(("global",)))
    try:
        opt.step(losses)
    finally:
        handle.remove()
    # the global pre-hook runs first, then the optimizer's; the post-hook sees the moved x
    assert seen == [("global",), ("pre", True, True), ("post", 1.0 - 0.1 * 0.5)]
    # a pre-hook may replace the arguments, as torch's contract says
    other = lambda: (2 * (x @ y), -2 * (x @ y))  # noqa: E731 the same game, twice the field
    opt.register_step_pre_hook(lambda o, args, kwargs: ((args[0], other), kwargs))
    before = (x.item(), y.item())
    opt.step(losses)
    assert x.item() == pytest.approx(before[0] - 0.2 * before[1], abs=1e-15)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        opt.step(losses)
    assert "Optimizer.step#GameOptimizer.step" in {e.key for e in prof.key_averages()}


def test_parameters_hold_the_positions_and_changes_made_outside_are_kept():
    x, y, losses = bilinear()
    opt = gd.bridge.GameOptimizer(gd.optim.extragradient(0.1), [x], [y])
    opt.step(losses)
    # no copy: between steps the parameters are the rule's position tensors
    assert x.data_ptr() == opt.state.x[0].data_ptr() and y.data_ptr() == opt.state.y[0].data_ptr()
    with torch.no_grad():
        x.fill_(2.0)  # e.g. a projection or an EMA swap, in place
    z = np.array([2.0, y.item()])
    opt.step(losses)
    # extragradient from (2, y) by hand: J = [[0, -1], [1, 0]], z+ = z + lr J (z + lr J z)
    J = np.array([[0.0, -1.0], [1.0, 0.0]])
    np.testing.assert_allclose([x.item(), y.item()], z + 0.1 * J @ (z + 0.1 * J @ z), rtol=1e-15)


def test_a_scheduler_drives_the_rules_step_size():
    x, y, losses = bilinear()
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.4), [x], [y])
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    z, lrs = np.array([1.0, 0.5]), []
    for _ in range(4):
        lr = opt.param_groups[0]["lr"]
        lrs.append(lr)
        # independent hand computation: simultaneous GDA on x y, z+ = (I + lr [[0, -1], [1, 0]]) z
        z = np.array([[1.0, -lr], [lr, 1.0]]) @ z
        opt.step(losses)
        scheduler.step()
    assert lrs == [0.4, 0.2, 0.1, 0.05]
    np.testing.assert_allclose([x.item(), y.item()], z, rtol=1e-15)
    assert opt.rule.lr == 0.025  # the rule the optimizer holds is the scheduled one


def test_scheduled_step_sizes_survive_a_checkpoint():
    x, y, losses = bilinear()
    opt = gd.bridge.GameOptimizer(gd.optim.extragradient(0.2), [x], [y])
    opt.param_groups[1]["lr"] = 0.05  # one player's step size, changed by hand
    opt.step(losses)
    saved = opt.state_dict()
    again = gd.bridge.GameOptimizer(gd.optim.extragradient(0.2), [x], [y])
    again.load_state_dict(saved)
    assert [g["lr"] for g in again.param_groups] == [0.2, 0.05] and again.rule.lr == (0.2, 0.05)
    older = {"state": again.state._asdict(), "steps": 1}  # a checkpoint from before the groups
    gd.bridge.GameOptimizer(gd.optim.extragradient(0.2), [x], [y]).load_state_dict(older)


def _mlp_pair(seed):
    torch.manual_seed(seed)
    G = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    D = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    real = torch.randn(16, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    noise = torch.randn(16, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))

    def losses():
        d_real, d_fake = D(real), D(G(noise))
        loss_d = torch.nn.functional.softplus(-d_real).mean() + torch.nn.functional.softplus(d_fake).mean()
        return torch.nn.functional.softplus(-d_fake).mean(), loss_d

    return G, D, losses


@pytest.mark.parametrize("rule", [gd.optim.optimistic(0.05, base=gd.optim.adam()),
                                  gd.optim.momentum(0.05, -0.3, base=gd.optim.rmsprop()),
                                  gd.optim.extragradient(0.05)])
def test_state_dict_is_torchs_format_and_resumes_exactly(rule, tmp_path):
    # torch's layout: {"state": {param index: {...}}, "param_groups": [...]}, saved and
    # loaded with torch.load(weights_only=True) (plain tensors, numbers, lists, dicts);
    # 3 steps, save, 3 more steps from the loaded state = 6 steps uninterrupted, exactly
    G, D, losses = _mlp_pair(0)
    opt = gd.bridge.GameOptimizer(rule, G.parameters(), D.parameters())
    for _ in range(3):
        opt.step(losses)
    path = tmp_path / "optimizer.pt"
    torch.save({"G": G.state_dict(), "D": D.state_dict(), "optimizer": opt.state_dict()}, path)
    saved = torch.load(path, weights_only=True)["optimizer"]
    n_x, n_y = len(list(G.parameters())), len(list(D.parameters()))
    assert sorted(saved) == ["param_groups", "state"] and sorted(saved["state"]) == list(range(n_x + n_y))
    assert [g["params"] for g in saved["param_groups"]] == [list(range(n_x)), list(range(n_x, n_x + n_y))]
    assert [g["player"] for g in saved["param_groups"]] == ["x", "y"]
    keys = {"position"} | ({"memory_0"} if rule.memory else set())
    keys |= {"adam": {"exp_avg", "exp_avg_sq"}, "rmsprop": {"exp_avg_sq"}}.get(
        type(rule.base[0]).__name__.lower() if getattr(rule, "base", None) else "", set())
    assert all(set(entry) == keys for entry in saved["state"].values())
    for _ in range(3):
        opt.step(losses)
    expected = [p.detach().clone() for p in list(G.parameters()) + list(D.parameters())]

    G2, D2, losses2 = _mlp_pair(1)  # other weights: the checkpoint replaces them
    checkpoint = torch.load(path, weights_only=True)
    G2.load_state_dict(checkpoint["G"])
    D2.load_state_dict(checkpoint["D"])
    again = gd.bridge.GameOptimizer(rule, G2.parameters(), D2.parameters())
    again.load_state_dict(checkpoint["optimizer"])
    assert again.steps == 3
    for _ in range(3):
        again.step(losses2)
    for a, b in zip(expected, list(G2.parameters()) + list(D2.parameters())):
        assert torch.equal(a, b.detach())


def test_a_state_dict_of_other_players_is_refused_by_name():
    G, D, _ = _mlp_pair(0)
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), G.parameters(), D.parameters())
    small = gd.bridge.GameOptimizer(gd.optim.gda(0.1), list(G.parameters())[:1], D.parameters())
    with pytest.raises(ValueError, match=r"the saved groups hold \[1, 4\] parameters; this optimizer's players have \[4, 4\]"):
        opt.load_state_dict(small.state_dict())


def test_a_step_without_the_closure_is_refused_by_name():
    x, y, _ = bilinear()
    with pytest.raises(ValueError, match="losses=None is not accepted"):
        gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y]).step()


def test_a_third_parameter_group_is_refused():
    x, y, _ = bilinear()
    opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    with pytest.raises(ValueError, match="add_param_group is not accepted"):
        opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)]})


def test_losses_under_autocast_train_a_dcgan():
    # bfloat16 autocast on the CPU: the losses are computed in bfloat16, the parameters and the
    # rule's state stay float32, and a step of extra-Adam moves every parameter
    from gamedyn.bridge._losses import gan_losses

    G, D = gd.bridge.make_models(image_size=28, channels=1, width=4, seed=0)
    opt = gd.bridge.GameOptimizer(gd.optim.extragradient(1e-3, base=gd.optim.adam()), G.parameters(), D.parameters())
    real = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    latent = G.sample_latent(8, generator=torch.Generator().manual_seed(1))
    before = [p.detach().clone() for p in G.parameters()]

    def losses():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return gan_losses(G, D, real, latent)()

    loss_x, loss_y = opt.step(losses)
    assert loss_x.dtype == torch.bfloat16 and torch.isfinite(loss_x) and torch.isfinite(loss_y)
    assert all(p.dtype == torch.float32 for p in G.parameters())
    assert all(not torch.equal(a, b) for a, b in zip(before, G.parameters()) if a.numel() > 1)


DATA_PARALLEL = r'''
import sys, torch, torch.distributed as dist, torch.multiprocessing as mp
import gamedyn as gd

A = [torch.tensor([[1.0, 0.5], [-0.3, 2.0]], dtype=torch.float64),
     torch.tensor([[0.2, -1.0], [0.7, 0.4]], dtype=torch.float64)]


def start():
    x = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([0.25, 2.0], dtype=torch.float64, requires_grad=True)
    return x, y


def rule(name):
    return {"gda": gd.optim.gda((0.1, 0.2), alternating=True, k=2),
            "extragradient": gd.optim.extragradient(0.1, base=gd.optim.adam())}[name]


def worker(rank, name, init, out):
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    x, y = start()
    opt = gd.bridge.GameOptimizer(rule(name), [x], [y], all_reduce=True)
    for _ in range(5):
        opt.step(lambda: (x @ A[rank] @ y, -(x @ A[rank] @ y)))  # this process's shard
    torch.save(torch.cat([x.detach(), y.detach()]), f"{out}-{rank}.pt")
    dist.destroy_process_group()


if __name__ == "__main__":
    name, init, out = sys.argv[1:]
    mp.spawn(worker, args=(name, init, out), nprocs=2)
    x, y = start()  # one process on the whole batch: the mean of the shards' losses
    opt = gd.bridge.GameOptimizer(rule(name), [x], [y])
    loss = lambda: (x @ ((A[0] + A[1]) / 2) @ y, -(x @ ((A[0] + A[1]) / 2) @ y))
    for _ in range(5):
        opt.step(loss)
    torch.save(torch.cat([x.detach(), y.detach()]), f"{out}-single.pt")
'''


@pytest.mark.parametrize("name", ["gda", "extragradient"])
def test_data_parallel_fields_are_averaged_over_processes(tmp_path, name):
    import subprocess
    import sys

    script = tmp_path / "dp.py"
    script.write_text(DATA_PARALLEL)
    out = tmp_path / "z"
    done = subprocess.run([sys.executable, str(script), name, f"file://{tmp_path / 'init'}", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    single = torch.load(f"{out}-single.pt")
    for rank in (0, 1):  # both processes hold the whole batch's iterate (float64 sums: 1e-12)
        torch.testing.assert_close(torch.load(f"{out}-{rank}.pt"), single, rtol=1e-12, atol=1e-12)


def test_data_parallelism_is_refused_where_it_would_be_wrong():
    x, y, _ = bilinear()
    with pytest.raises(ValueError, match="all_reduce=True is not accepted with rule 'consensus'"):
        gd.bridge.GameOptimizer(gd.optim.consensus(0.1, 0.1), [x], [y], all_reduce=True)
    with pytest.raises(ValueError, match="all_reduce=True needs torch.distributed initialised"):
        gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y], all_reduce=True)


@pytest.mark.slow  # torch.compile's CPU backend compiles C++ for about 20 s: run with -m slow
def test_compiled_models_take_the_eager_models_steps():
    from gamedyn.bridge._losses import gan_losses

    def run(compiled):
        G, D = gd.bridge.make_models(image_size=28, channels=1, width=4, norm="none", seed=0)
        nets = (torch.compile(G), torch.compile(D)) if compiled else (G, D)
        opt = gd.bridge.GameOptimizer(gd.optim.gda(1e-3, alternating=True, base=gd.optim.adam()), G.parameters(),
                                      D.parameters())
        real = torch.rand(8, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
        latent = torch.randn(8, G.latent, generator=torch.Generator().manual_seed(1))
        for _ in range(3):
            opt.step(lambda: gan_losses(*nets, real, latent)())
        return torch.cat([p.detach().reshape(-1) for p in G.parameters()])

    # compiled kernels fuse float32 operations differently: equal to float32 rounding
    torch.testing.assert_close(run(True), run(False), rtol=1e-4, atol=1e-6)
