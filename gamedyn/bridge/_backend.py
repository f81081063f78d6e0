"""The PyTorch backend of the update rules: the same surface as ``gamedyn.optim._backend``
(tree operations + gradient oracle), over lists of tensors.

A player's "tree" is a list of tensors shaped like its parameters. Tree operations use
``torch._foreach_*`` (one fused kernel launch per list on the GPU) and never modify their
inputs: the rules are functional, exactly as in JAX. The oracle evaluates the vector field
``F = -(grad_x loss_x, grad_y loss_y)`` by loading a point into the models' parameters and
calling the user's closure.
"""

from __future__ import annotations

import math

import torch

from ..optim import Adam, RMSProp

__all__ = ["TorchOps", "TorchOracle", "TORCH_OPS"]


def _leaves(tree):
    """Tensors of a nested tuple/list structure, in order."""
    if isinstance(tree, torch.Tensor):
        return [tree]
    if tree is None:
        return []
    out = []
    for item in tree:
        out.extend(_leaves(item))
    return out


def _num(value) -> float:
    """A hyperparameter as a Python number (rules may hold numpy / JAX scalars)."""
    return float(value)


class TorchOps:
    """Tree operations over lists of tensors.

    >>> import torch
    >>> from gamedyn.bridge import TorchOps
    >>> a, b = [torch.tensor([3.0, 4.0])], [torch.tensor([1.0, 1.0])]
    >>> TorchOps.axpy(2.0, a, b)  # b + 2 a
    [tensor([7., 9.])]
    >>> TorchOps.vdot(a, b), TorchOps.norm(a), TorchOps.size(a)  # 3 + 4, |(3, 4)| = 5, two entries
    (7.0, 5.0, 2)
    >>> a  # inputs are never modified: the rules are functional
    [tensor([3., 4.])]
    """

    @staticmethod
    def add(a, b):
        return list(torch._foreach_add(a, b))

    @staticmethod
    def sub(a, b):
        return list(torch._foreach_sub(a, b))

    @staticmethod
    def scale(s, a):
        return list(torch._foreach_mul(a, _num(s)))

    @staticmethod
    def axpy(s, a, b):
        """``b + s * a``."""
        return list(torch._foreach_add(b, a, alpha=_num(s)))

    @staticmethod
    def where(cond, a, b):
        return a if bool(cond) else b

    @staticmethod
    def zeros_like(a):
        return [torch.zeros_like(t) for t in a]

    @staticmethod
    def vdot(a, b):
        return sum(float(torch.sum(u * v)) for u, v in zip(_leaves(a), _leaves(b)))

    @staticmethod
    def norm(a):
        return math.sqrt(sum(float(torch.sum(u * u)) for u in _leaves(a)))

    @staticmethod
    def size(a) -> int:
        return sum(t.numel() for t in _leaves(a))

    @staticmethod
    def eps(a):
        return torch.finfo(_leaves(a)[0].dtype).eps

    @staticmethod
    def sign(s):
        return math.copysign(1.0, s) if s != 0 else 0.0

    @staticmethod
    def detach(a):
        if isinstance(a, torch.Tensor):
            return a.detach()
        return [t.detach() for t in a]

    @staticmethod
    def counter(n: int = 0):
        return int(n)

    @staticmethod
    def repeat(k, body, carry):
        for _ in range(int(k)):
            carry = body(carry)
        return carry

    @staticmethod
    def while_loop(cond, body, carry):
        while bool(cond(carry)):
            carry = body(carry)
        return carry

    # -- base transformations, rebuilt with optax's semantics ---------------------------
    @staticmethod
    def base_init(base, params):
        if isinstance(base, Adam):
            return {"count": 0, "mu": TorchOps.zeros_like(params), "nu": TorchOps.zeros_like(params)}
        if isinstance(base, RMSProp):
            nu = [torch.full_like(t, _num(base.initial_scale)) for t in params]
            return {"count": 0, "nu": nu}
        raise ValueError(
            f"base={base!r} is not accepted by the PyTorch backend; expected gd.optim.adam() or "
            "gd.optim.rmsprop() (a raw optax transformation exists only in JAX)"
        )

    @staticmethod
    def base_update(base, grads, state, params):
        """optax's ``scale_by_adam`` / ``scale_by_rms`` followed by ``scale(-1)``."""
        count = state["count"] + 1
        if isinstance(base, Adam):
            b1, b2 = _num(base.b1), _num(base.b2)
            mu = list(torch._foreach_add(torch._foreach_mul(state["mu"], b1), grads, alpha=1 - b1))
            squares = torch._foreach_mul(grads, grads)
            nu = list(torch._foreach_add(torch._foreach_mul(state["nu"], b2), squares, alpha=1 - b2))
            mu_hat = torch._foreach_div(mu, 1 - b1**count)
            nu_hat = torch._foreach_div(nu, 1 - b2**count)
            denom = torch._foreach_add(torch._foreach_sqrt(torch._foreach_add(nu_hat, _num(base.eps_root))), _num(base.eps))
            updates = list(torch._foreach_neg(torch._foreach_div(mu_hat, denom)))
            return updates, {"count": count, "mu": mu, "nu": nu}
        decay, eps = _num(base.decay), _num(base.eps)
        squares = torch._foreach_mul(grads, grads)
        nu = list(torch._foreach_add(torch._foreach_mul(state["nu"], decay), squares, alpha=1 - decay))
        nu_hat = torch._foreach_div(nu, 1 - decay**count) if base.bias_correction else nu
        if base.eps_in_sqrt:
            denom = torch._foreach_sqrt(torch._foreach_add(nu_hat, eps))
        else:
            denom = torch._foreach_add(torch._foreach_sqrt(nu_hat), eps)
        updates = list(torch._foreach_neg(torch._foreach_div(grads, denom)))
        return updates, {"count": count, "nu": nu}


TORCH_OPS = TorchOps()


class TorchOracle(TorchOps):
    """The gradient oracle of a game given as parameter lists and a loss closure.

    ``losses()`` must return ``(loss_x, loss_y)`` computed at the *current* values of
    ``x_params`` and ``y_params``; the oracle loads any point ``(x, y)`` into those parameters
    before calling it, and remembers which tensors are loaded so that evaluating at the
    current point costs no copy.

    On the bilinear game ``x y`` the field is ``F = (-y, x)`` and ``J = [[0, -1], [1, 0]]``:

    >>> import torch
    >>> from gamedyn.bridge import TorchOracle
    >>> x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> y = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    >>> oracle = TorchOracle(lambda: (x @ y, -(x @ y)), [x], [y])
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> oracle.field([one], [2 * one])  # at (x, y) = (1, 2)
    ([tensor([-2.], dtype=torch.float64)], [tensor([1.], dtype=torch.float64)])
    >>> oracle.jvp([one], [2 * one], [one], [0 * one])  # J (1, 0) = (0, 1)
    ([tensor([0.], dtype=torch.float64)], [tensor([1.], dtype=torch.float64)])
    >>> oracle.evaluations  # one call of the closure each
    2
    """

    def __init__(self, losses, x_params, y_params, project_x=None, project_y=None, *, average=None, swap=False):
        self.losses = losses
        # swap: load a point by pointing each parameter at its tensor (``p.data = t``, no copy)
        # instead of copying into the parameters' storage; only for callers that never keep a
        # loaded tensor they need unchanged while writing into the parameters in place (the
        # GameOptimizer's step, whose rule is functional)
        self._swap = swap
        self.x_params = list(x_params)
        self.y_params = list(y_params)
        self._project_x = project_x
        self._project_y = project_y
        self._average = average  # data parallelism: averages a field over the processes
        self.loaded = (None, None)
        self.evaluations = 0
        self.last_losses = None

    # -- loading points ----------------------------------------------------------------
    def _load(self, x, y):
        with torch.no_grad():
            for params, point, loaded in ((self.x_params, x, self.loaded[0]), (self.y_params, y, self.loaded[1])):
                if point is loaded or point is params:
                    continue
                if self._swap:
                    for p, t in zip(params, point):
                        p.data = t
                else:
                    torch._foreach_copy_(params, point)
        self.loaded = (x, y)

    def _losses(self, x, y):
        self._load(x, y)
        with torch.enable_grad():
            loss_x, loss_y = self.losses()
        self.evaluations += 1
        self.last_losses = (loss_x.detach(), loss_y.detach())
        return loss_x, loss_y

    def _grad(self, loss, params, create_graph=False, retain_graph=True, seed=None):
        """``seed * grad loss`` (``seed`` None: 1), zeros for parameters the loss ignores."""
        grads = torch.autograd.grad(
            loss, params, grad_outputs=None if seed is None else torch.full_like(loss, seed),
            create_graph=create_graph, retain_graph=retain_graph or create_graph, allow_unused=True,
        )
        return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]

    def _descent(self, loss, params, create_graph=False, retain_graph=False):
        """``-grad loss``, with the minus sign seeded at the scalar loss: backward is linear in
        its seed and negation is exact, so this equals negating the gradient bit for bit,
        without another pass over (and copy of) every parameter. The loss's graph is freed
        on the way unless ``retain_graph`` (or ``create_graph``) asks to keep it."""
        return self._grad(loss, params, create_graph, retain_graph, seed=-1.0)

    def _fields(self, x, y, create_graph=False):
        loss_x, loss_y = self._losses(x, y)
        return (self._descent(loss_x, self.x_params, create_graph, retain_graph=True),
                self._descent(loss_y, self.y_params, create_graph))

    def _averaged(self, *trees):
        return trees if self._average is None else self._average(*trees)

    # -- the oracle surface ------------------------------------------------------------
    def field(self, x, y):
        return self._averaged(*self._fields(x, y))

    def field_x(self, x, y):
        loss_x, _ = self._losses(x, y)
        return self._averaged(self._descent(loss_x, self.x_params))[0]

    def field_y(self, x, y):
        _, loss_y = self._losses(x, y)
        return self._averaged(self._descent(loss_y, self.y_params))[0]

    def project_x(self, x):
        return x if self._project_x is None else self._project_x(x)

    def project_y(self, y):
        return y if self._project_y is None else self._project_y(y)

    def vjp(self, x, y, ux, uy):
        """``J(x, y)^T u`` by double backward: ``d/dz <F(z), u>``."""
        fx, fy = self._fields(x, y, create_graph=True)
        inner = sum(torch.sum(f * u) for f, u in zip(fx + fy, list(ux) + list(uy)))
        params = self.x_params + self.y_params
        grads = self._grad(inner, params)
        n = len(self.x_params)
        return [g.detach() for g in grads[:n]], [g.detach() for g in grads[n:]]

    def jvp(self, x, y, vx, vy, *, off_diagonal=False):
        """``J(x, y) v`` by the double-backward trick: ``J v = d/dw <J^T w, v>``.

        With ``off_diagonal=True``, ``J_off v = (J_xy v_y, J_yx v_x)``: only each player's
        field differentiated by the other player's parameters (one evaluation all the same).
        """
        return self.field_jvp(x, y, vx, vy, off_diagonal=off_diagonal)[1]

    def field_jvp(self, x, y, vx, vy, *, off_diagonal=False):
        """``(F(x, y), J(x, y) v)``, each as ``(x part, y part)``, from one evaluation: the
        field comes with the graph the Jacobian-vector product is taken on."""
        fx, fy = self._fields(x, y, create_graph=True)
        values = ([f.detach() for f in fx], [f.detach() for f in fy])
        fields = fx + fy
        n = len(self.x_params)
        dummies = [torch.zeros_like(f, requires_grad=True) for f in fields]
        inner_x = sum(torch.sum(f * w) for f, w in zip(fx, dummies[:n]))
        inner_y = sum(torch.sum(f * w) for f, w in zip(fy, dummies[n:]))
        if off_diagonal:
            # J_xy^T w_x lands on the y-parameters, J_yx^T w_y on the x-parameters
            to_x = torch.autograd.grad(inner_y, self.x_params, create_graph=True, allow_unused=True)
            to_y = torch.autograd.grad(inner_x, self.y_params, create_graph=True, allow_unused=True)
            jt_w = list(to_x) + list(to_y)
        else:
            params = self.x_params + self.y_params
            jt_w = torch.autograd.grad(inner_x + inner_y, params, create_graph=True, allow_unused=True)
        pairs = [(g, v) for g, v in zip(jt_w, list(vx) + list(vy)) if g is not None]
        if not pairs:  # no player's field depends on these parameters
            return values, ([torch.zeros_like(f) for f in fx], [torch.zeros_like(f) for f in fy])
        outer = sum(torch.sum(g * v) for g, v in pairs)
        jv = torch.autograd.grad(outer, dummies, allow_unused=True)
        jv = [torch.zeros_like(f) if g is None else g.detach() for g, f in zip(jv, fields)]
        return values, (jv[:n], jv[n:])

    def jvp_second(self, x, y, vx, vy, dx, dy, *, off_diagonal=False):
        """``d/dz [J(z) v]`` along ``dz`` (``J_off`` with ``off_diagonal``): the second
        directional derivative of the field, by the double-backward trick applied twice
        (the third derivative of the losses). Zero for a linear game."""
        fx, fy = self._fields(x, y, create_graph=True)
        fields = fx + fy
        n = len(self.x_params)
        params = self.x_params + self.y_params
        zeros = [torch.zeros_like(f) for f in fields]
        w = [torch.zeros_like(f, requires_grad=True) for f in fields]
        inner_x = sum(torch.sum(f * u) for f, u in zip(fx, w[:n]))
        inner_y = sum(torch.sum(f * u) for f, u in zip(fy, w[n:]))
        if off_diagonal:
            jt_w = list(torch.autograd.grad(inner_y, self.x_params, create_graph=True, allow_unused=True))
            jt_w += list(torch.autograd.grad(inner_x, self.y_params, create_graph=True, allow_unused=True))
        else:
            jt_w = torch.autograd.grad(inner_x + inner_y, params, create_graph=True, allow_unused=True)
        pairs = [(g, v) for g, v in zip(jt_w, list(vx) + list(vy)) if g is not None]
        if not pairs:
            return zeros[:n], zeros[n:]
        jv = torch.autograd.grad(sum(torch.sum(g * v) for g, v in pairs), w, create_graph=True, allow_unused=True)
        terms = [(g, u) for g, u in zip(jv, [torch.zeros_like(f, requires_grad=True) for f in fields])
                 if g is not None and g.requires_grad]
        if not terms:  # J v does not depend on z: a linear game
            return zeros[:n], zeros[n:]
        w2 = [u for _, u in terms]
        back = torch.autograd.grad(sum(torch.sum(g * u) for g, u in terms), params, create_graph=True, allow_unused=True)
        along = [(g, d) for g, d in zip(back, list(dx) + list(dy)) if g is not None]
        if not along or not any(g.requires_grad for g, _ in along):
            return zeros[:n], zeros[n:]
        found = torch.autograd.grad(sum(torch.sum(g * d) for g, d in along), w2, allow_unused=True)
        out, i = [], 0
        for g, z in zip(jv, zeros):
            if g is not None and g.requires_grad:
                out.append(z if found[i] is None else found[i].detach())
                i += 1
            else:
                out.append(z)
        return out[:n], out[n:]

    def vjp_tangent(self, x, y, ux, uy, dx, dy, dux, duy):
        """``J(z)^T u`` and its derivative along ``(dz, du)``:
        ``J^T du + d/dz <J(z)^T u, .>[dz]``, the second term the Hessian of ``<F(z), u>``
        applied to ``dz`` (a third derivative of the losses, by triple backward)."""
        fx, fy = self._fields(x, y, create_graph=True)
        params = self.x_params + self.y_params
        n = len(self.x_params)
        fields = fx + fy
        inner = sum(torch.sum(f * u) for f, u in zip(fields, list(ux) + list(uy)))
        jt_u = torch.autograd.grad(inner, params, create_graph=True, allow_unused=True)
        jt_u = [torch.zeros_like(p) if g is None else g for g, p in zip(jt_u, params)]
        inner_d = sum(torch.sum(f * u) for f, u in zip(fields, list(dux) + list(duy)))
        second = sum(torch.sum(g * d) for g, d in zip(jt_u, list(dx) + list(dy)))
        tangent = self._grad(inner_d + second, params) if second.requires_grad or inner_d.requires_grad else [
            torch.zeros_like(p) for p in params]
        primal = [g.detach() for g in jt_u]
        tangent = [g.detach() for g in tangent]
        return (primal[:n], primal[n:]), (tangent[:n], tangent[n:])

    def unrolled_field_x(self, x, y, k: int, lr, through: bool = True, *, base=None, base_state=None):
        """``-d/dx loss_x(x, y_k(x))`` with ``y_{i+1} = y_i + lr F_y(x, y_i)``; with ``base``
        (and its state ``base_state`` at ``y``), ``y_{i+1} = y_i + lr U(-F_y(x, y_i); s_i)``,
        the base state advancing with it (the discriminator's own optimiser, unrolled).

        The derivative through the look-ahead is accumulated backwards with one
        vector-Jacobian product of ``F_y`` per look-ahead step (reverse mode by hand), so only
        the closure is needed, not a functional form of the models. Through a base, each
        step's update ``(g, s) -> (U(g; s), s')`` is elementwise, and its vector-Jacobian
        product is taken by autograd on the same ``base_update`` the forward pass ran.
        A projection (weight clipping) is applied after each look-ahead step and, as in the
        JAX backend's ``jax.grad`` through a clip inside its range, differentiated as the
        identity.
        """
        lr = _num(lr)
        ys, states, grads_y = [list(y)], [base_state], []
        for _ in range(int(k)):
            if base is None:
                ys.append(self.project_y(self.axpy(lr, self.field_y(x, ys[-1]), ys[-1])))
                continue
            g = self.scale(-1.0, self.field_y(x, ys[-1]))  # the gradient, averaged as the plain look-ahead's field
            update, state = self.base_update(base, g, states[-1], ys[-1])
            grads_y.append(g)
            states.append(state)
            ys.append(self.project_y(self.axpy(lr, update, ys[-1])))
        loss_x, _ = self._losses(x, ys[-1])
        params = self.x_params + self.y_params
        n = len(self.x_params)
        grads = self._grad(loss_x, params)
        total_x = [g.detach() for g in grads[:n]]
        if not through or k == 0:
            return [-g for g in total_x]
        adjoint = [g.detach() for g in grads[n:]]  # d loss_x / d y_k
        moments = {}  # adjoints of the base state's tensors (Adam's mu and nu), zero at y_k
        for i in reversed(range(int(k))):
            y_i = ys[i]
            if base is None:
                # y_{i+1} = y_i + lr F_y(x, y_i): pull the adjoint back through one step
                _, loss_y = self._losses(x, y_i)
                f_y = self._descent(loss_y, self.y_params, create_graph=True)
                inner = sum(torch.sum(f * a) for f, a in zip(f_y, adjoint))
                pulled = self._grad(inner, params)
                total_x = self.axpy(lr, [g.detach() for g in pulled[:n]], total_x)
                adjoint = self.axpy(lr, [g.detach() for g in pulled[n:]], adjoint)
                continue
            adjoint_g, moments = self._base_vjp(base, grads_y[i], states[i], y_i, lr, adjoint, moments)
            # g_i = grad_y loss_y(x, y_i): pull its adjoint back to (x, y_i)
            _, loss_y = self._losses(x, y_i)
            g = self._grad(loss_y, self.y_params, create_graph=True)
            inner = sum(torch.sum(t * a) for t, a in zip(g, adjoint_g))
            pulled = self._grad(inner, params) if inner.requires_grad else [torch.zeros_like(p) for p in params]
            total_x = self.add([t.detach() for t in pulled[:n]], total_x)
            adjoint = self.add([t.detach() for t in pulled[n:]], adjoint)
        return [-g for g in total_x]

    def _base_vjp(self, base, g, state, y, lr, adjoint_y, adjoint_state):
        """One look-ahead step ``(g, s) -> (y + lr U(g; s), s')`` pulled back: the adjoints of
        ``g`` and of the state's tensors, given those of ``y_{i+1}`` and ``s'``."""
        keys = [key for key, value in state.items() if isinstance(value, list)]
        with torch.enable_grad():
            g_in = [t.detach().requires_grad_() for t in g]
            s_in = {key: ([t.detach().requires_grad_() for t in value] if key in keys else value)
                    for key, value in state.items()}
            update, s_out = self.base_update(base, g_in, s_in, y)
            inner = lr * sum(torch.sum(u * a) for u, a in zip(update, adjoint_y))
            for key in keys:
                if key in adjoint_state:
                    inner = inner + sum(torch.sum(t * a) for t, a in zip(s_out[key], adjoint_state[key]))
            leaves = g_in + [t for key in keys for t in s_in[key]]
            found = torch.autograd.grad(inner, leaves, allow_unused=True)
        found = [torch.zeros_like(t) if f is None else f for f, t in zip(found, leaves)]
        out, i = {}, len(g_in)
        for key in keys:
            out[key] = found[i:i + len(s_in[key])]
            i += len(s_in[key])
        return found[:len(g_in)], out

    def solve_shifted(self, x, y, a_x, a_y, r_x, r_y, *, off_diagonal=False, tol=None, max_iter=None):
        """Solve ``(I - diag(a_x, a_y) J(x, y)) d = r`` by GMRES on Jacobian-vector products
        (exact in at most ``n`` iterations; the Jacobian is never formed). With
        ``off_diagonal=True``, ``J`` is ``[[0, J_xy], [J_yx, 0]]`` (competitive gradient descent)."""
        a_x, a_y = _num(a_x), _num(a_y)
        n_x = len(r_x)

        def matvec(d):
            jx, jy = self.jvp(x, y, d[:n_x], d[n_x:], off_diagonal=off_diagonal)
            return self.axpy(-a_x, jx, d[:n_x]) + self.axpy(-a_y, jy, d[n_x:])

        rhs = list(r_x) + list(r_y)
        d = _gmres(self, matvec, rhs, tol=tol, max_iter=max_iter)
        return d[:n_x], d[n_x:]


def _gmres(ops, matvec, rhs, tol=None, max_iter=None):
    """Unrestarted GMRES (Saad & Schultz 1986) on lists of tensors, from ``d = 0``."""
    beta = ops.norm(rhs)
    if beta == 0.0:
        return ops.zeros_like(rhs)
    n = ops.size(rhs)
    tol = 10 * ops.eps(rhs) if tol is None else tol
    max_iter = min(n, 200) if max_iter is None else max_iter
    basis = [ops.scale(1.0 / beta, rhs)]
    hessenberg = torch.zeros(max_iter + 1, max_iter, dtype=torch.float64)
    coeffs = None
    for j in range(max_iter):
        w = matvec(basis[j])
        for i in range(j + 1):  # modified Gram-Schmidt
            h = ops.vdot(w, basis[i])
            hessenberg[i, j] = h
            w = ops.axpy(-h, basis[i], w)
        h_next = ops.norm(w)
        hessenberg[j + 1, j] = h_next
        target = torch.zeros(j + 2, dtype=torch.float64)
        target[0] = beta
        coeffs = torch.linalg.lstsq(hessenberg[: j + 2, : j + 1], target[:, None]).solution[:, 0]
        residual = float(torch.linalg.norm(hessenberg[: j + 2, : j + 1] @ coeffs - target))
        if residual <= tol * beta or h_next <= tol * beta:
            break
        basis.append(ops.scale(1.0 / h_next, w))
    d = ops.zeros_like(rhs)
    for c, v in zip(coeffs.tolist(), basis):
        d = ops.axpy(c, v, d)
    return d
