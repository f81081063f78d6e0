"""``GameOptimizer``: the update rules of ``gamedyn.optim`` executed on PyTorch parameters.

The rule objects are the very ones the JAX layer uses (same names, hyperparameters and
``step``); only the backend differs. That is what makes "the same optimizer" literally true,
and the conformance test (``tests/bridge/test_conformance.py``) checks it iterate by iterate.
"""

from __future__ import annotations

import dataclasses

import torch
from torch.optim import optimizer as _optim

from ..optim import Rule
from ._backend import TorchOracle

__all__ = ["GameOptimizer", "clip_projection"]


def clip_projection(bound: float):
    """A projection for ``project_y``/``project_x``: clamp every entry to ``[-bound, bound]``
    (WGAN weight clipping, Arjovsky et al. 2017).

    >>> import torch
    >>> from gamedyn.bridge import clip_projection
    >>> clip_projection(0.01)([torch.tensor([-1.0, 0.005, 2.0])])
    [tensor([-0.0100,  0.0050,  0.0100])]
    """
    bound = float(bound)
    if not bound > 0:
        raise ValueError(f"bound={bound!r} is not accepted; expected a number > 0")
    return lambda tensors: [t.clamp(-bound, bound) for t in tensors]


class GameOptimizer(torch.optim.Optimizer):
    """Train two players' PyTorch parameters with a ``gamedyn.optim`` rule.

    A ``torch.optim.Optimizer``: two parameter groups, the generator's (``player="x"``) and
    the discriminator's (``player="y"``), each with its ``lr`` (the rule's step size for that
    player), so learning-rate schedulers (``torch.optim.lr_scheduler.StepLR``, ...) and code
    that reads or sets ``param_groups[i]["lr"]`` work; the rule's other step sizes
    (``lr_extra``, ``lr_unroll``) are not scheduled. ``zero_grad()`` is torch's (the rules take
    gradients with ``torch.autograd.grad`` and leave ``.grad`` alone). ``state`` is the rule's
    state (positions, memory, base moments); ``state_dict()`` lays it out in torch's format
    (per-parameter entries, Adam's moments as ``exp_avg`` / ``exp_avg_sq``). Not
    supported: ``GradScaler`` (mixed precision with float16 loss scaling: the rules read no
    ``.grad``; ``torch.autocast`` with bfloat16 inside ``losses`` works) and
    ``DistributedDataParallel`` (its gradient all-reduce hooks run on ``.grad`` accumulation,
    which ``autograd.grad`` bypasses): for data parallelism pass ``all_reduce=True`` instead,
    with ``torch.distributed`` initialised and each process's ``losses`` on its own shard of
    the batch; every field the rule evaluates is then averaged over the processes (one
    all-reduce of a flat buffer), so each process takes the step of the whole batch. Rules
    that also need Jacobian products (consensus, SGA, unrolled, CGD, proximal) are refused
    with it.

    Parameters
    ----------
    rule : any rule of :mod:`gamedyn.optim` (``gda``, ``extragradient``, ``optimistic``,
        ``momentum``, ``consensus``, ``sga``, ``proximal``, ``unrolled``, ``cgd``), with an
        optional ``gd.optim.adam()`` / ``gd.optim.rmsprop()`` base.
    x_params, y_params : the generator's and the discriminator's parameters (iterables of
        tensors, e.g. ``G.parameters()``).
    project_x, project_y : optional maps of a list of tensors onto the feasible set, applied
        after every move (e.g. ``clip_projection(0.01)`` for WGAN).

    Notes
    -----
    ``step(losses)`` advances one step of the rule. ``losses()`` must return
    ``(loss_x, loss_y)`` at the *current* parameters; the rule calls it as often as it needs
    (twice for extragradient, ``k + 1`` times for ``k`` discriminator steps, ...), each time
    at the point it wants, so draw the step's minibatch once, outside the closure, if every
    evaluation should see the same data.

    >>> import torch, gamedyn as gd
    >>> x = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    >>> y = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1), [x], [y])
    >>> _ = opt.step(lambda: (x @ y, -(x @ y)))  # bilinear game: z+ = z + lr F(z)
    >>> x.item(), y.item()
    (1.0, 0.1)
    """

    def __init__(self, rule: Rule, x_params, y_params, *, project_x=None, project_y=None, all_reduce=False):
        if not isinstance(rule, Rule):
            raise ValueError(
                f"rule={rule!r} is not accepted; expected an update rule from gamedyn.optim"
            )
        self._rule = rule
        self.x_params = [p for p in x_params]
        self.y_params = [p for p in y_params]
        for name, params in (("x_params", self.x_params), ("y_params", self.y_params)):
            if not params or not all(isinstance(p, torch.Tensor) for p in params):
                raise ValueError(f"{name} must be a non-empty iterable of tensors")
        if {id(p) for p in self.x_params} & {id(p) for p in self.y_params}:
            raise ValueError("x_params and y_params share a tensor; each parameter belongs to one player")
        lr_x, lr_y = _pair(rule.lr)
        super().__init__([{"params": self.x_params, "player": "x", "lr": lr_x},
                          {"params": self.y_params, "player": "y", "lr": lr_y}], defaults={})
        self.all_reduce = _check_all_reduce(all_reduce, rule)
        self.project_x = project_x
        self.project_y = project_y
        oracle = self._oracle(None)
        self.state = rule.init(self._snapshot(self.x_params), self._snapshot(self.y_params), ops=oracle)
        self._versions = self._current_versions()
        self.steps = 0

    @staticmethod
    def _snapshot(params):
        return [p.detach().clone() for p in params]

    def _current_versions(self):
        return [p._version for p in self.x_params + self.y_params]

    def _oracle(self, losses, swap=False):
        return TorchOracle(losses, self.x_params, self.y_params, self.project_x, self.project_y,
                           average=_average_over_processes if self.all_reduce else None, swap=swap)

    def add_param_group(self, param_group):
        """Refused once built: a game has exactly two players, one group each."""
        if len(getattr(self, "param_groups", ())) >= 2:
            raise ValueError("GameOptimizer has one parameter group per player, x and y; add_param_group is not "
                             "accepted (pass every parameter of a player in x_params or y_params)")
        super().add_param_group(param_group)

    @property
    def rule(self) -> Rule:
        """The rule, with the parameter groups' step sizes (a scheduler may have changed them)."""
        lr = tuple(float(group["lr"]) for group in self.param_groups)
        if lr != _pair(self._rule.lr):
            self._rule = dataclasses.replace(self._rule, lr=lr if lr[0] != lr[1] else lr[0])
        return self._rule

    def step(self, losses=None):
        """One step of the rule; returns the ``(loss_x, loss_y)`` of the last evaluation.

        ``losses`` is required (torch's optimizers make the closure optional; every game
        rule evaluates the losses itself). Step hooks (``register_step_pre_hook`` /
        ``register_step_post_hook``, and the global ones) run as in torch's optimizers, and
        under ``torch.profiler`` the step is recorded as ``Optimizer.step#GameOptimizer.step``.
        Between steps the parameters hold the rule's positions themselves (no copy).
        """
        if not torch.autograd.profiler._is_profiler_enabled:
            return self._hooked_step(losses)
        with torch.autograd.profiler.record_function(f"Optimizer.step#{type(self).__name__}.step"):
            return self._hooked_step(losses)

    # torch.optim.Optimizer wraps a step without this flag in a profiler record and its hooks
    # on every call, which costs more than the rest of a small GDA step's bookkeeping: the
    # record is opened above only while a profiler runs, and the hooks are run below.
    step.hooked = True

    def _hooked_step(self, losses):
        args, kwargs = (self, losses), {}
        pre = (*_optim._global_optimizer_pre_hooks.values(), *self._optimizer_step_pre_hooks.values())
        for hook in pre:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"a step pre-hook must return None or (args, kwargs), got {result!r}")
                args, kwargs = result
        out = self._step(*args[1:], **kwargs)
        self._optimizer_step_code()
        for hook in (*self._optimizer_step_post_hooks.values(), *_optim._global_optimizer_post_hooks.values()):
            hook(self, args, kwargs)
        return out

    def _step(self, losses=None):
        if losses is None or not callable(losses):
            raise ValueError(f"losses={losses!r} is not accepted; expected the closure losses() -> (loss_x, "
                             "loss_y) that every GameOptimizer step evaluates")
        # the parameters are pointed at each point the rule evaluates, and at the new
        # positions at the end (no copies): nothing writes into them in place during a step
        oracle = self._oracle(losses, swap=True)
        state = self.state
        if self._current_versions() != self._versions:
            # the parameters were changed outside (a checkpoint load, an EMA swap): start
            # this step from their values
            state = state._replace(x=self._snapshot(self.x_params), y=self._snapshot(self.y_params))
        oracle.loaded = (state.x, state.y)  # the parameters hold these values right now
        new = self.rule.step(oracle, state)
        oracle._load(new.x, new.y)
        self.state = new
        self._versions = self._current_versions()
        self.steps += 1
        self.evaluations = oracle.evaluations
        return oracle.last_losses

    def state_dict(self):
        """The optimizer's state in torch's format: ``{"state": {i: {...}}, "param_groups":
        [...]}`` with the parameters numbered in order, the generator's first. Each
        parameter's entry holds its ``position`` (the rule's copy of it), its share of the
        rule's memory (``memory_0``, ...: the previous iterate or direction of momentum and
        optimistic rules) and of the base's moments under torch's names (Adam's ``exp_avg``
        and ``exp_avg_sq``, RMSProp's ``exp_avg_sq``); each group holds its player, ``lr``,
        the base's step ``base_count``, the rule's ``count`` and the optimizer's ``steps``.

        >>> import torch, gamedyn as gd
        >>> x, y = torch.ones(2, requires_grad=True), torch.zeros(2, requires_grad=True)
        >>> opt = gd.bridge.GameOptimizer(gd.optim.gda(0.1, base=gd.optim.adam()), [x], [y])
        >>> _ = opt.step(lambda: (x @ y, -(x @ y)))
        >>> saved = opt.state_dict()
        >>> sorted(saved["state"][0]), saved["param_groups"][1]["params"], saved["param_groups"][1]["lr"]
        (['exp_avg', 'exp_avg_sq', 'position'], [1], 0.1)
        """
        state = self.state
        params = self.x_params + self.y_params
        per_param = {i: {} for i in range(len(params))}
        offsets = {"x": 0, "y": len(self.x_params)}
        sizes = {"x": len(self.x_params), "y": len(self.y_params)}

        def share(player, key, values):
            if len(values) != sizes[player]:
                raise ValueError(f"GameOptimizer.state_dict: the rule's {key} of player {player} has "
                                 f"{len(values)} entries for {sizes[player]} parameters")
            for j, value in enumerate(values):
                per_param[offsets[player] + j][key] = value

        share("x", "position", state.x)
        share("y", "position", state.y)
        for k, entry in enumerate(state.memory):
            share("xy"[k % 2], f"memory_{k // 2}", entry)
        groups = []
        for player, base, group in zip("xy", state.base, self.param_groups):
            base_count = None
            for key, value in (base or {}).items():
                if isinstance(value, (list, tuple)):
                    share(player, _TORCH_NAMES.get(key, key), value)
                else:
                    base_count = int(value)
            groups.append({"player": player, "lr": float(group["lr"]), "base_count": base_count,
                           "count": int(state.count), "steps": self.steps,
                           "params": list(range(offsets[player], offsets[player] + sizes[player]))})
        return {"state": per_param, "param_groups": groups}

    def load_state_dict(self, saved):
        """Restore :meth:`state_dict` (torch's format; the format of gamedyn 0.x checkpoints,
        ``{"state": RuleState fields, "steps", "lr"}``, is read too)."""
        state, steps, lrs = self._parse(saved)
        self.state = state
        self.steps = steps
        for group, lr in zip(self.param_groups, lrs):  # older checkpoints: the rule's
            group["lr"] = lr
        oracle = self._oracle(None)
        oracle._load(self.state.x, self.state.y)
        self._versions = self._current_versions()

    def _parse(self, saved):
        """``(RuleState, steps, [lr_x, lr_y])`` of a saved state in either format; a base's
        moments are read in this optimizer's base's structure."""
        from ..optim import RuleState

        if "param_groups" not in saved:  # an older checkpoint: the RuleState's fields
            return RuleState(**saved["state"]), int(saved["steps"]), saved.get("lr", ())
        return self._from_torch_format(saved)

    @staticmethod
    def saved_steps(saved) -> int:
        """The optimizer steps recorded in a saved state (either format)."""
        return int(saved["steps"] if "param_groups" not in saved else saved["param_groups"][0]["steps"])

    def _from_torch_format(self, saved):
        from ..optim import RuleState

        groups, per_param = saved["param_groups"], saved["state"]
        sizes = [len(self.x_params), len(self.y_params)]
        if len(groups) != 2 or [len(g["params"]) for g in groups] != sizes:
            raise ValueError(f"load_state_dict: the saved groups hold {[len(g['params']) for g in groups]} "
                             f"parameters; this optimizer's players have {sizes}")
        entries = [[per_param[i] for i in g["params"]] for g in groups]
        memory = []
        for k in range(sum(1 for key in entries[0][0] if key.startswith("memory_"))):
            memory += [[e[f"memory_{k}"] for e in entries[0]], [e[f"memory_{k}"] for e in entries[1]]]
        base = []
        for group, player_entries, current in zip(groups, entries, self.state.base):
            if current is None:
                base.append(None)
                continue
            restored = {}
            for key in current:
                if isinstance(current[key], (list, tuple)):
                    restored[key] = [e[_TORCH_NAMES.get(key, key)] for e in player_entries]
                else:
                    restored[key] = group["base_count"]
            base.append(restored)
        positions = [[e["position"] for e in player_entries] for player_entries in entries]
        state = RuleState(positions[0], positions[1], tuple(memory), tuple(base), groups[0]["count"])
        return state, int(groups[0]["steps"]), [g["lr"] for g in groups]


#: The base optimizers' moments under the names torch's optimizers give them.
_TORCH_NAMES = {"mu": "exp_avg", "nu": "exp_avg_sq"}


def _pair(lr) -> tuple[float, float]:
    """A rule's ``lr`` (one number or ``(lr_x, lr_y)``) as two floats."""
    if isinstance(lr, (tuple, list)):
        return float(lr[0]), float(lr[1])
    return float(lr), float(lr)


#: Rules whose step evaluates only the field (no Jacobian products): the ones data
#: parallelism averages exactly.
FIELD_ONLY_RULES = ("gda", "extragradient", "optimistic", "momentum")


def _check_all_reduce(all_reduce, rule) -> bool:
    if all_reduce not in (False, True):
        raise ValueError(f"all_reduce={all_reduce!r} is not accepted; expected True or False")
    if not all_reduce:
        return False
    from ..optim import RULES

    name = next((n for n, cls in RULES.items() if type(rule) is cls), type(rule).__name__)
    if name not in FIELD_ONLY_RULES:
        raise ValueError(f"all_reduce=True is not accepted with rule {name!r}: it needs Jacobian products, which "
                         f"are not averaged over processes; the rules that need only the field: "
                         f"{', '.join(FIELD_ONLY_RULES)}")
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        raise ValueError("all_reduce=True needs torch.distributed initialised (torch.distributed.init_process_group)")
    return True


def _average_over_processes(*trees):
    """Each tree (a list of tensors) averaged over the processes: one all-reduce of one flat
    buffer."""
    flat = [t for tree in trees for t in tree]
    buffer = torch.cat([t.reshape(-1) for t in flat])
    torch.distributed.all_reduce(buffer)
    buffer /= torch.distributed.get_world_size()
    out, start = [], 0
    for t in flat:
        out.append(buffer[start:start + t.numel()].view_as(t))
        start += t.numel()
    sizes = [len(tree) for tree in trees]
    return tuple(out[sum(sizes[:i]):sum(sizes[:i + 1])] for i in range(len(trees)))
