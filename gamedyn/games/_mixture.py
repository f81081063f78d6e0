"""Gaussian-mixture "islands": the mode-collapse laboratory between the Dirac GAN and real
convolutional GANs.

Data is a mixture of ``K`` isotropic Gaussians, ``p(t) = sum_k w_k N(t; c_k, s_k^2 I)``
(exact sampling and log-density). The game is a GAN on that data with small MLP players
(generator ``x``: latent ``N(0, I)`` -> data space; discriminator ``y``: data -> one raw
output ``D``, large on real data). Each player is one flat parameter vector
(:func:`jax.flatten_util.ravel_pytree`), so every update rule of :mod:`gamedyn.optim`
applies unchanged.

Minibatches. ``Game.losses(x, y)`` is deterministic: the minibatch is data, the game's
``batch`` field (real samples, latents, interpolation weights for the gradient penalty).
A training loop replaces it every step, ``game_t = game.with_batch(game.sample_batch(key_t))``
(or ``game.with_key(key_t)``), then calls ``rule.step(game_t, state)``; rules that evaluate
the field more than once per step (extragradient, optimistic, unrolled, consensus, ...) see
the same minibatch in every evaluation of that step.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .._checks import check_choice, check_int, check_nonnegative, check_positive, is_traced
from .._pytree import pytree_dataclass
from . import _mlp
from ._base import Game
from ._dirac import safe_norm
from ._gan_losses import GAN_LOSSES, JAX_LOSS_OPS, SMOOTHABLE, discriminator_terms, loss_family

__all__ = [
    "GaussianMixture",
    "MixtureBatch",
    "MIXTURE_LOSSES",
    "F_DIVERGENCES",
    "GEN_OBJECTIVES",
    "adversarial_losses",
]

#: Losses of the Gaussian-mixture game: the GAN loss family (``_gan_losses``), WGAN-GP,
#: the relativistic standard GAN, and f-GAN objectives. The last four are f-GAN objectives (Nowozin et al.
#: 2016) named by the divergence they estimate between data ``P`` and model ``Q``:
#: ``forward_kl`` = KL(P || Q), ``reverse_kl`` = KL(Q || P), ``js`` = Jensen-Shannon,
#: ``pearson`` = Pearson chi^2.
F_DIVERGENCES = ("forward_kl", "reverse_kl", "js", "pearson")
MIXTURE_LOSSES = (*GAN_LOSSES, "wgan_gp", "relativistic", *F_DIVERGENCES)
GEN_OBJECTIVES = ("loss", "feature_matching")

#: WGAN weight-clipping bound used when ``loss="wasserstein"`` and ``clip`` is not given
#: (Arjovsky, Chintala & Bottou 2017, Algorithm 1: c = 0.01).
WGAN_CLIP = 0.01

_LOG2 = float(np.log(2.0))


class MixtureBatch(NamedTuple):
    """One minibatch: ``real`` (B, d) data samples, ``latent`` (B, latent_dim) generator
    inputs, ``mix`` (B / pack, 1) uniform weights of the gradient-penalty interpolates, and
    with instance noise ``noise`` (2, B, d), the standard-normal draws added (times the
    noise's standard deviation) to the real and the generated samples.

    >>> import jax, gamedyn as gd
    >>> ring = gd.games.GaussianMixture.ring(latent_dim=4, gen_hidden=(8,), disc_hidden=(8,),
    ...                                      batch_size=16)
    >>> batch = ring.sample_batch(jax.random.PRNGKey(0))
    >>> [(name, None if value is None else value.shape) for name, value in batch._asdict().items()]
    [('real', (16, 2)), ('latent', (16, 4)), ('mix', (16, 1)), ('noise', None)]
    """

    real: Any
    latent: Any
    mix: Any
    noise: Any = None


# -- the losses on discriminator outputs ------------------------------------------------
def _f_gan(loss):
    """``(g_f(v), f*(g_f(v)))`` of Nowozin et al. (2016), Table 2: output activation and
    conjugate, written stably as functions of the raw output ``v``."""
    if loss == "forward_kl":  # f(u) = u log u, g_f(v) = v, f*(t) = exp(t - 1)
        return (lambda v: v), (lambda v: jnp.exp(v - 1.0))
    if loss == "reverse_kl":  # f(u) = -log u, g_f(v) = -exp(-v), f*(t) = -1 - log(-t)
        return (lambda v: -jnp.exp(-v)), (lambda v: v - 1.0)
    if loss == "pearson":  # f(u) = (u - 1)^2, g_f(v) = v, f*(t) = t^2/4 + t
        return (lambda v: v), (lambda v: 0.25 * v**2 + v)
    # js: f(u) = u log u - (u + 1) log((u + 1)/2), g_f(v) = log 2 - log(1 + e^-v),
    # f*(t) = -log(2 - e^t), so f*(g_f(v)) = softplus(v) - log 2.
    return (lambda v: _LOG2 - jax.nn.softplus(-v)), (lambda v: jax.nn.softplus(v) - _LOG2)


def adversarial_losses(loss: str, d_real, d_fake, *, f_generator: str = "minimax", label_smoothing=0.0):
    """``(loss_x, loss_y)`` of a GAN loss on raw discriminator outputs (no penalties).

    ``d_real``, ``d_fake``: the discriminator's raw outputs on a real and a generated batch
    (logits for the logistic losses, critic values otherwise); ``D = sigmoid(d)``.

    * ``saturating``: ``loss_y = -E log D(r) - E log(1 - D(g))``, ``loss_x = -loss_y``
      (the minimax game of Goodfellow et al. 2014);
    * ``nonsaturating``: the same ``loss_y``, ``loss_x = -E log D(g)`` (Goodfellow et al.);
    * ``wasserstein``, ``wgan_gp``: ``loss_y = E d(g) - E d(r)``, ``loss_x = -loss_y``
      (Arjovsky et al. 2017; the clip or penalty is added to the critic by the game);
    * ``least_squares``: ``loss_y = E (d(r) - 1)^2/2 + E (d(g) + 1)^2/2``,
      ``loss_x = E (d(g) - 1)^2/2`` (Mao et al. 2017 with labels a = -1, b = c = 1);
    * ``hinge``: ``loss_y = E max(0, 1 - d(r)) + E max(0, 1 + d(g))``, ``loss_x = -E d(g)``
      (Lim & Ye 2017; Miyato et al. 2018);
    * ``relativistic``: ``loss_y = E softplus(-(d(r) - d(g)))``,
      ``loss_x = E softplus(-(d(g) - d(r)))`` over paired samples (RSGAN,
      Jolicoeur-Martineau 2019);
    * f-GAN (Nowozin et al. 2016, eq. 6 and Table 2): ``loss_y = -(E g_f(d(r)) -
      E f*(g_f(d(g))))``, ``loss_x = -loss_y`` (``f_generator="minimax"``) or
      ``-E g_f(d(g))`` (``"nonsaturating"``, their Sec. 3.2 heuristic).

    ``label_smoothing``: one-sided label smoothing of the real target (Salimans et al. 2016,
    Sec. 3.4), for the losses of :data:`~gamedyn.games.SMOOTHABLE`
    (:func:`~gamedyn.games.discriminator_terms`).

    >>> import jax.numpy as jnp
    >>> lx, ly = adversarial_losses("nonsaturating", jnp.zeros(3), jnp.zeros(3))
    >>> round(float(lx), 12), round(float(ly), 12)  # log 2 and 2 log 2 at D = 1/2
    (0.69314718056, 1.386294361120)
    """
    family = loss_family(loss)
    if family is not None:
        real, fake = discriminator_terms(family, JAX_LOSS_OPS, d_real, d_fake, label_smoothing=label_smoothing)
        loss_y = jnp.mean(real) + jnp.mean(fake)
        entry = GAN_LOSSES[family]
        loss_x = -loss_y if entry.minimax else jnp.mean(entry.g(JAX_LOSS_OPS, d_fake))
    elif loss == "relativistic":
        loss_y = jnp.mean(jax.nn.softplus(-(d_real - d_fake)))
        loss_x = jnp.mean(jax.nn.softplus(-(d_fake - d_real)))
    elif loss in F_DIVERGENCES:
        check_choice("f_generator", f_generator, ("minimax", "nonsaturating"))
        g_f, conj = _f_gan(loss)
        objective = jnp.mean(g_f(d_real)) - jnp.mean(conj(d_fake))
        loss_y = -objective
        loss_x = objective if f_generator == "minimax" else -jnp.mean(g_f(d_fake))
    else:
        check_choice("loss", loss, MIXTURE_LOSSES)
    return loss_x, loss_y


def _as_float(value):
    arr = jnp.asarray(value)
    if not jnp.issubdtype(arr.dtype, jnp.inexact):
        arr = arr.astype(jnp.result_type(float))
    return arr


def _check_sizes(name, sizes):
    if not isinstance(sizes, tuple):
        raise ValueError(f"{name}={sizes!r} is not accepted; expected a tuple of layer widths")
    for width in sizes:
        check_int(name, width, minimum=1)


# ---------------------------------------------------------------------------------------
@pytree_dataclass(
    static=(
        "loss",
        "gen_objective",
        "f_generator",
        "latent_dim",
        "gen_hidden",
        "disc_hidden",
        "activation",
        "disc_activation",
        "maxout_pieces",
        "gen_batchnorm",
        "batch_size",
        "pack",
        "spectral_norm",
        "minibatch_std",
        "minibatch_kernels",
        "minibatch_kernel_dim",
        "sn_iterations",
        "label_smoothing",
        "instance_noise",
    )
)
class GaussianMixture(Game):
    """A mixture of isotropic Gaussians, and the GAN game of fitting it with MLP players.

    As data: ``centers`` (K, d), ``weights`` (K,) (normalised; uniform if omitted), ``std``
    a scalar or (K,) per-component standard deviation; :meth:`sample`, :meth:`log_prob`.
    :meth:`ring` and :meth:`grid` build the VEEGAN / PacGAN benchmarks (Srivastava et al.
    2017; Lin et al. 2018): 8 modes on the unit circle with std 0.01, and 25 modes on
    ``{-4, -2, 0, 2, 4}^2`` with std 0.05.

    As a game (``x`` = generator, ``y`` = discriminator, flat parameter vectors):

    * generator ``G``: ``latent_dim`` standard-normal inputs, ``gen_hidden`` dense layers with
      ``activation``, a linear output in data space; discriminator: ``disc_hidden`` dense
      layers with ``disc_activation`` (default: ``activation``), then a linear head to one
      raw output. Defaults follow the 2-D mixture experiment of the unrolled GAN (Metz et
      al. 2017, App. A): latent 256, G two ReLU layers of 128, D one ReLU layer of 128,
      minibatch 512. Weights start ``N(0, init_gain^2 / fan_in)`` (default
      ``init_gain = 1``), or ``N(0, (init_gain init_std)^2)`` when ``init_std`` is given
      (DCGAN's and PacGAN's 0.02); biases 0.
    * ``disc_activation="maxout"`` makes every hidden discriminator layer a maxout layer
      with ``maxout_pieces`` pieces (Goodfellow et al. 2013; PacGAN's 2-D discriminator:
      3 x 200 units, 5 pieces). ``gen_batchnorm`` batch-normalises the generator's hidden
      layers before the nonlinearity, with learned scale and shift (Ioffe & Szegedy 2015;
      PacGAN's generator: 4 x 400, batch norm, ReLU). Batch statistics are those of the
      latents being mapped (training mode, no running averages), so ``G`` stays a pure
      function; on a large evaluation batch they are the population statistics up to
      sampling error.
    * ``loss``: see :func:`adversarial_losses` (:data:`MIXTURE_LOSSES`). ``wasserstein``
      clips every discriminator parameter to ``[-clip, clip]`` after each move
      (``project_y``; ``clip`` defaults to 0.01); ``wgan_gp`` adds
      ``gp_weight * E(|grad D(t_hat)| - 1)^2`` on interpolates
      ``t_hat = u t_real + (1 - u) t_fake``, ``u ~ U[0, 1]`` (Gulrajani et al. 2017, eq. 3).
    * ``gen_objective="feature_matching"``: the generator minimises
      ``|E f(t_real) - E f(G(z))|^2`` with ``f`` the discriminator's last hidden layer
      (Salimans et al. 2016, Sec. 3.1); the discriminator keeps ``loss``.
    * discriminator options: ``spectral_norm`` (every dense weight divided by its largest
      singular value, Miyato et al. 2018; power iteration with ``sn_iterations`` steps),
      ``pack`` = m (PacGAN, Lin et al. 2018: the discriminator sees m samples concatenated,
      real with real and fake with fake), ``minibatch_std`` (Karras et al. 2018: the
      batch-averaged standard deviation of the last hidden features appended as one more
      feature), ``minibatch_kernels`` = B > 0 (minibatch discrimination, Salimans et al.
      2016, Sec. 3.2: ``o_b(t_i) = sum_j exp(-|M_i,b - M_j,b|_1)`` with ``M = f T``,
      ``T`` of shape (features, B, ``minibatch_kernel_dim``), appended to the features).
    * ``label_smoothing`` = s: the real target becomes 1 - s (one-sided label smoothing,
      Salimans et al. 2016, Sec. 3.4; the losses of :data:`~gamedyn.games.SMOOTHABLE`);
      ``instance_noise`` = sigma: both players' discriminator inputs, real and generated,
      get N(0, sigma^2) noise drawn with each minibatch (Sønderby et al. 2017; Arjovsky &
      Bottou 2017). Both are left out of the game's ``repr`` at their default 0, so that
      runs checkpointed before they existed keep their fingerprints.

    ``losses(x, y)`` evaluates the game on the minibatch in ``batch`` (see the module
    docstring); ``init(key)`` draws initial players.

    >>> import jax, gamedyn as gd
    >>> ring = gd.games.GaussianMixture.ring(latent_dim=4, gen_hidden=(8,), disc_hidden=(8,),
    ...                                      batch_size=16)
    >>> ring.centers.shape, ring.n_x, ring.n_y
    ((8, 2), 58, 33)
    >>> x, y = ring.init(jax.random.PRNGKey(0))
    >>> game = ring.with_key(jax.random.PRNGKey(1))
    >>> [float(v) > 0 for v in game.losses(x, y)]
    [True, True]
    """

    centers: Any
    weights: Any = None
    std: Any = 0.05
    loss: str = "nonsaturating"
    gen_objective: str = "loss"
    f_generator: str = "minimax"
    latent_dim: int = 256
    gen_hidden: tuple = (128, 128)
    disc_hidden: tuple = (128,)
    activation: str = "relu"
    disc_activation: str | None = None
    maxout_pieces: int = 5
    gen_batchnorm: bool = False
    batch_size: int = 512
    pack: int = 1
    spectral_norm: bool = False
    minibatch_std: bool = False
    minibatch_kernels: int = 0
    minibatch_kernel_dim: int = 3
    sn_iterations: int = 20
    clip: Any = None
    gp_weight: Any = 10.0
    init_gain: Any = 1.0
    init_std: Any = None
    batch: Any = None
    label_smoothing: float = dataclasses.field(default=0.0, repr=False)
    instance_noise: float = dataclasses.field(default=0.0, repr=False)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        check_choice("loss", self.loss, MIXTURE_LOSSES)
        check_choice("gen_objective", self.gen_objective, GEN_OBJECTIVES)
        check_nonnegative("label_smoothing", self.label_smoothing)
        if not self.label_smoothing < 1:
            raise ValueError(f"label_smoothing={self.label_smoothing!r} is not accepted; expected 0 <= s < 1")
        if self.label_smoothing and loss_family(self.loss) not in SMOOTHABLE:
            raise ValueError(f"label_smoothing={self.label_smoothing!r} is not accepted with loss={self.loss!r} (it "
                             f"has no target label); the losses with one: {', '.join(SMOOTHABLE)}")
        check_nonnegative("instance_noise", self.instance_noise)
        set_("label_smoothing", float(self.label_smoothing))
        set_("instance_noise", float(self.instance_noise))
        check_choice("f_generator", self.f_generator, ("minimax", "nonsaturating"))
        generator_activations = tuple(a for a in _mlp.ACTIVATIONS if a != "maxout")
        if self.activation == "maxout":
            raise ValueError(
                "activation='maxout' is not accepted (it sets the generator's nonlinearity); "
                f"expected one of {', '.join(generator_activations)}, and "
                "disc_activation='maxout' for a maxout discriminator"
            )
        check_choice("activation", self.activation, generator_activations)
        if self.disc_activation is None:
            set_("disc_activation", self.activation)
        check_choice("disc_activation", self.disc_activation, tuple(_mlp.ACTIVATIONS))
        check_int("maxout_pieces", self.maxout_pieces, minimum=1)
        set_("maxout_pieces", int(self.maxout_pieces))
        for name in ("spectral_norm", "minibatch_std", "gen_batchnorm"):
            check_choice(name, getattr(self, name), (False, True))
        set_("gen_hidden", tuple(self.gen_hidden) if isinstance(self.gen_hidden, list) else self.gen_hidden)
        set_("disc_hidden", tuple(self.disc_hidden) if isinstance(self.disc_hidden, list) else self.disc_hidden)
        _check_sizes("gen_hidden", self.gen_hidden)
        _check_sizes("disc_hidden", self.disc_hidden)
        check_int("latent_dim", self.latent_dim, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_int("pack", self.pack, minimum=1)
        check_int("minibatch_kernels", self.minibatch_kernels, minimum=0)
        check_int("minibatch_kernel_dim", self.minibatch_kernel_dim, minimum=1)
        check_int("sn_iterations", self.sn_iterations, minimum=1)
        for name in ("latent_dim", "batch_size", "pack", "minibatch_kernels",
                     "minibatch_kernel_dim", "sn_iterations"):
            set_(name, int(getattr(self, name)))
        if self.batch_size % self.pack:
            raise ValueError(
                f"batch_size={self.batch_size} is not accepted with pack={self.pack}; "
                "expected a multiple of pack (the discriminator sees batch_size/pack packs)"
            )
        if self.minibatch_std and self.batch_size // self.pack < 2:
            raise ValueError(
                f"minibatch_std=True needs at least 2 packs per batch; got batch_size="
                f"{self.batch_size}, pack={self.pack}"
            )
        self._set_mixture(set_)
        if self.clip is None and self.loss == "wasserstein":
            set_("clip", WGAN_CLIP)
        if self.clip is not None:
            check_positive("clip", self.clip)
        check_nonnegative("gp_weight", self.gp_weight)
        check_positive("init_gain", self.init_gain)
        if self.init_std is not None:
            check_positive("init_std", self.init_std)

    def _set_mixture(self, set_):
        if is_traced((self.centers, self.weights, self.std)):
            return
        centers = np.asarray(self.centers, dtype=float)
        if centers.ndim != 2 or centers.size == 0:
            raise ValueError(
                f"centers has shape {centers.shape}; expected a non-empty (K, d) array of "
                "component means"
            )
        if not np.all(np.isfinite(centers)):
            raise ValueError("centers is not accepted; expected finite numbers")
        k = centers.shape[0]
        if self.weights is None:
            weights = np.full(k, 1.0 / k)
        else:
            weights = np.asarray(self.weights, dtype=float)
            if weights.shape != (k,) or not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
                raise ValueError(
                    f"weights={self.weights!r} is not accepted; expected {k} finite numbers "
                    ">= 0 with a positive sum (one per centre)"
                )
            weights = weights / weights.sum()
        std = np.asarray(self.std, dtype=float)
        if std.shape not in ((), (k,)) or not np.all(np.isfinite(std)) or np.any(std <= 0):
            raise ValueError(
                f"std={self.std!r} is not accepted; expected a standard deviation > 0, or "
                f"{k} of them (one per centre)"
            )
        set_("centers", _as_float(centers))
        set_("weights", _as_float(weights))
        set_("std", _as_float(std))

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def ring(cls, k: int = 8, radius: float = 1.0, std: float = 0.01, **options):
        """``k`` modes at ``radius (cos 2 pi i/k, sin 2 pi i/k)``, ``i = 0..k-1``.

        >>> GaussianMixture.ring(4).centers.round(12) + 0.0
        Array([[ 1.,  0.],
               [ 0.,  1.],
               [-1.,  0.],
               [ 0., -1.]], dtype=float64)
        """
        check_int("k", k, minimum=1)
        check_positive("radius", radius)
        angles = 2 * np.pi * np.arange(int(k)) / int(k)
        centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return cls(centers=centers, std=std, **options)

    @classmethod
    def grid(cls, n: int = 5, spacing: float = 2.0, std: float = 0.05, **options):
        """``n^2`` modes on a square grid centred at 0 with ``spacing`` between neighbours
        (defaults: ``{-4, -2, 0, 2, 4}^2``).

        >>> GaussianMixture.grid(2, spacing=2.0).centers
        Array([[-1., -1.],
               [-1.,  1.],
               [ 1., -1.],
               [ 1.,  1.]], dtype=float64)
        """
        check_int("n", n, minimum=1)
        check_positive("spacing", spacing)
        axis = (np.arange(int(n)) - (int(n) - 1) / 2) * spacing
        centers = np.array(list(itertools.product(axis, axis)))
        return cls(centers=centers, std=std, **options)

    # -- the mixture as a distribution ------------------------------------------------
    @property
    def k(self) -> int:
        """Number of components."""
        return self.centers.shape[0]

    @property
    def dim(self) -> int:
        """Dimension ``d`` of the data space."""
        return self.centers.shape[1]

    @property
    def stds(self):
        """Per-component standard deviations, shape (K,)."""
        return jnp.broadcast_to(self.std, (self.k,))

    def _components(self, u):
        """Component labels from uniforms ``u`` by the inverse CDF of ``Cat(w)``."""
        cdf = jnp.cumsum(self.weights).astype(u.dtype)
        return jnp.minimum(jnp.searchsorted(cdf, u, side="right"), self.k - 1)

    def sample_with_labels(self, key, n: int):
        """``n`` exact samples and the component each came from: ``k ~ Cat(w)``,
        ``t = c_k + s_k eps``, ``eps ~ N(0, I)``."""
        check_int("n", n, minimum=1)
        k_key, e_key = jax.random.split(key)
        dtype = self.centers.dtype
        labels = self._components(jax.random.uniform(k_key, (int(n),), dtype))
        eps = jax.random.normal(e_key, (int(n), self.dim), dtype)
        return self.centers[labels] + self.stds[labels, None] * eps, labels

    def sample(self, key, n: int):
        """``n`` exact samples, shape (n, d).

        >>> import jax
        >>> GaussianMixture.ring().sample(jax.random.PRNGKey(0), 5).shape
        (5, 2)
        """
        return self.sample_with_labels(key, n)[0]

    def log_prob(self, points):
        """``log p(t) = logsumexp_k [log w_k + log N(t; c_k, s_k^2 I)]`` for ``points``
        (..., d).

        >>> one = GaussianMixture(centers=[[0.0, 0.0]], std=1.0)
        >>> float(one.log_prob([0.0, 0.0]))  # -log(2 pi)
        -1.8378770664093453
        """
        points = _as_float(points)
        if points.shape[-1:] != (self.dim,):
            raise ValueError(
                f"points has shape {tuple(points.shape)}; expected (..., {self.dim})"
            )
        s2 = self.stds**2
        sq = jnp.sum((points[..., None, :] - self.centers) ** 2, axis=-1)
        log_comp = -0.5 * sq / s2 - 0.5 * self.dim * jnp.log(2 * jnp.pi * s2)
        return jax.scipy.special.logsumexp(log_comp + jnp.log(self.weights), axis=-1)

    # -- players ----------------------------------------------------------------------
    @property
    def gen_sizes(self) -> tuple:
        return (self.latent_dim, *self.gen_hidden, self.dim)

    @property
    def _disc_input(self) -> int:
        return self.dim * self.pack

    @property
    def _feature_width(self) -> int:
        return self.disc_hidden[-1] if self.disc_hidden else self._disc_input

    @property
    def _head_width(self) -> int:
        return self._feature_width + int(self.minibatch_std) + self.minibatch_kernels

    @property
    def _pieces(self) -> int:
        """Affine outputs per hidden discriminator unit (maxout pieces, else 1)."""
        return self.maxout_pieces if self.disc_activation == "maxout" else 1

    def _gen_template(self, dtype):
        dense = _mlp.dense_template(self.gen_sizes, dtype)
        if not self.gen_batchnorm:
            return dense
        return {"dense": dense, "norm": _mlp.batchnorm_template(self.gen_hidden, dtype)}

    def _disc_template(self, dtype):
        tree = {
            "body": _mlp.dense_template((self._disc_input, *self.disc_hidden), dtype, self._pieces),
            "head": _mlp.dense_template((self._head_width, 1), dtype),
        }
        if self.minibatch_kernels:
            shape = (self._feature_width, self.minibatch_kernels * self.minibatch_kernel_dim)
            tree["mbd"] = jnp.zeros(shape, dtype)
        return tree

    @property
    def n_x(self) -> int:
        sizes = self.gen_sizes
        n = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
        return n + 2 * sum(self.gen_hidden) * int(self.gen_batchnorm)

    @property
    def n_y(self) -> int:
        sizes = (self._disc_input, *self.disc_hidden)
        p = self._pieces
        n = sum((a + 1) * b * p for a, b in zip(sizes[:-1], sizes[1:])) + self._head_width + 1
        return n + self._feature_width * self.minibatch_kernels * self.minibatch_kernel_dim

    def generator_params(self, x):
        """The generator's parameter pytree ``[{"w", "b"}, ...]`` from its flat vector
        (``{"dense": [...], "norm": [{"scale", "shift"}, ...]}`` with ``gen_batchnorm``)."""
        return _mlp.unraveler(self._gen_template(x.dtype))(x)

    def discriminator_params(self, y):
        """The discriminator's parameter pytree (``body``, ``head``, ``mbd``) from ``y``."""
        return _mlp.unraveler(self._disc_template(y.dtype))(y)

    def init(self, key):
        """Initial players ``(x0, y0)``: weights ``N(0, init_gain^2 / fan_in)``, zero
        biases; minibatch-discrimination tensor ``N(0, init_gain^2 / features)``. One
        Gaussian draw per player (cheap to compile under ``vmap`` over seeds)."""
        dtype = self.centers.dtype
        kx, ky = jax.random.split(key)
        std = self.init_std
        dense_x = _mlp.dense_init_scale(self.gen_sizes, dtype, std=std)
        offset_x = None
        if self.gen_batchnorm:
            # Batch norm starts as the identity map: scale exactly 1, shift 0.
            norms = _mlp.batchnorm_template(self.gen_hidden, dtype)
            zero = jax.tree.map(jnp.zeros_like, norms)
            offset_x = _mlp.ravel({"dense": jax.tree.map(jnp.zeros_like, dense_x), "norm": norms})
            dense_x = {"dense": dense_x, "norm": zero}
        scale_x = _mlp.ravel(dense_x)
        tree = {
            "body": _mlp.dense_init_scale((self._disc_input, *self.disc_hidden), dtype, self._pieces, std),
            "head": _mlp.dense_init_scale((self._head_width, 1), dtype, std=std),
        }
        if self.minibatch_kernels:
            shape = self._disc_template(dtype)["mbd"].shape
            tree["mbd"] = jnp.full(shape, 1.0 / np.sqrt(shape[0]) if std is None else std, dtype)
        scale_y = _mlp.ravel(tree)
        x0 = self.init_gain * scale_x * jax.random.normal(kx, scale_x.shape, dtype)
        if offset_x is not None:
            x0 = x0 + offset_x
        y0 = self.init_gain * scale_y * jax.random.normal(ky, scale_y.shape, dtype)
        return x0, y0

    def generate(self, x, latent):
        """``G(z)`` for latents ``z`` (n, latent_dim): samples (n, d)."""
        params = self.generator_params(x)
        if self.gen_batchnorm:
            return _mlp.dense_apply(params["dense"], latent, self.activation, last_linear=True,
                                    norms=params["norm"])
        return _mlp.dense_apply(params, latent, self.activation, last_linear=True)

    def sample_latent(self, key, n: int, dtype=None):
        """``n`` generator inputs ``z ~ N(0, I)``."""
        dtype = self.centers.dtype if dtype is None else dtype
        return jax.random.normal(key, (int(n), self.latent_dim), dtype)

    def packed(self, points):
        """``(B, d) -> (B / pack, pack * d)``: consecutive samples concatenated (PacGAN)."""
        return points.reshape(points.shape[0] // self.pack, self.pack * self.dim)

    def critic(self, y, packs):
        """Raw discriminator outputs (n,) and last hidden features ``f`` (n, width) on
        packed inputs (n, pack * d)."""
        params = self.discriminator_params(y)
        sn = self.sn_iterations if self.spectral_norm else None
        features = _mlp.dense_apply(params["body"], packs, self.disc_activation, last_linear=False,
                                    sn_iterations=sn, pieces=self._pieces)
        extra = [features]
        if self.minibatch_std:
            # Karras et al. (2018), Sec. 3: std of every feature over the minibatch,
            # averaged into one number and appended to every sample.
            spread = jnp.mean(jnp.sqrt(jnp.var(features, axis=0) + 1e-8))
            extra.append(jnp.broadcast_to(spread, (features.shape[0], 1)))
        if self.minibatch_kernels:
            m = (features @ params["mbd"]).reshape(
                features.shape[0], self.minibatch_kernels, self.minibatch_kernel_dim
            )
            l1 = jnp.sum(jnp.abs(m[:, None] - m[None, :]), axis=-1)  # (n, n, B)
            extra.append(jnp.sum(jnp.exp(-l1), axis=1))
        head_in = jnp.concatenate(extra, axis=1) if len(extra) > 1 else features
        out = _mlp.dense_apply(params["head"], head_in, self.disc_activation, last_linear=True, sn_iterations=sn)
        return out[:, 0], features

    def discriminate(self, y, points):
        """Raw discriminator outputs on data-space ``points`` (B, d), packed first: (B/pack,)."""
        return self.critic(y, self.packed(points))[0]

    # -- minibatches ------------------------------------------------------------------
    def sample_batch(self, key, dtype=None) -> MixtureBatch:
        """A fresh minibatch of ``batch_size`` exact real samples, latents and GP weights
        (one Gaussian and one uniform draw, which keeps compiles under ``vmap`` cheap)."""
        dtype = self.centers.dtype if dtype is None else dtype
        n, d, packs = self.batch_size, self.dim, self.batch_size // self.pack
        kn, ku = jax.random.split(key)
        noise = jax.random.normal(kn, (n, d + self.latent_dim), dtype)
        u = jax.random.uniform(ku, (n + packs,), dtype)
        labels = self._components(u[:n])
        real = self.centers[labels].astype(dtype) + self.stds[labels, None].astype(dtype) * noise[:, :d]
        # instance noise draws from its own key, so that the other draws stay those of a run without
        inputs = None if not self.instance_noise else jax.random.normal(jax.random.fold_in(key, 1), (2, n, d), dtype)
        return MixtureBatch(real=real, latent=noise[:, d:], mix=u[n:, None], noise=inputs)

    def with_batch(self, batch: MixtureBatch) -> GaussianMixture:
        """The same game evaluated on ``batch`` (cheap; valid inside ``jit``)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "batch", batch)
        return new

    def with_key(self, key) -> GaussianMixture:
        """``with_batch(sample_batch(key))``."""
        return self.with_batch(self.sample_batch(key))

    def astype(self, dtype) -> GaussianMixture:
        """The game with every floating leaf (mixture, hyperparameters, batch) cast to
        ``dtype`` (e.g. float32 for fast training)."""
        def cast(leaf):
            leaf = jnp.asarray(leaf)
            return leaf.astype(dtype) if jnp.issubdtype(leaf.dtype, jnp.floating) else leaf

        return jax.tree.map(cast, self)

    # -- the game ---------------------------------------------------------------------
    def _require_batch(self) -> MixtureBatch:
        if self.batch is None:
            raise ValueError(
                "batch=None: GaussianMixture.losses needs a minibatch; evaluate "
                "game.with_key(key) or game.with_batch(game.sample_batch(key))"
            )
        return self.batch

    def evaluate(self, x, y):
        """Everything the losses are made of on the current minibatch: a dict with
        ``fake`` samples, raw outputs ``d_real`` / ``d_fake`` (one per pack), features
        ``f_real`` / ``f_fake``, and the ``penalty`` (gradient penalty, 0 unless wgan_gp)."""
        batch = self._require_batch()
        fake = self.generate(x, batch.latent)
        real, seen = batch.real, fake  # what the discriminator sees: with instance noise, noisy
        if self.instance_noise:
            real = real + self.instance_noise * batch.noise[0]
            seen = fake + self.instance_noise * batch.noise[1]
        real_packs, fake_packs = self.packed(real), self.packed(seen)
        d_real, f_real = self.critic(y, real_packs)
        d_fake, f_fake = self.critic(y, fake_packs)
        penalty = jnp.zeros((), d_real.dtype)
        if self.loss == "wgan_gp":
            mix = batch.mix
            hat = mix * real_packs + (1.0 - mix) * fake_packs
            # Rows of grad(sum D) are the per-sample input gradients when D treats samples
            # independently (with minibatch features they include the batch coupling).
            grads = jax.grad(lambda h: jnp.sum(self.critic(y, h)[0]))(hat)
            norms = jax.vmap(safe_norm)(grads)  # subgradient 0 at grad D = 0
            penalty = self.gp_weight * jnp.mean((norms - 1.0) ** 2)
        return {
            "fake": fake,
            "d_real": d_real,
            "d_fake": d_fake,
            "f_real": f_real,
            "f_fake": f_fake,
            "penalty": penalty,
        }

    def losses(self, x, y):
        parts = self.evaluate(x, y)
        loss_x, loss_y = adversarial_losses(
            self.loss, parts["d_real"], parts["d_fake"], f_generator=self.f_generator,
            label_smoothing=self.label_smoothing,
        )
        loss_y = loss_y + parts["penalty"]
        if self.gen_objective == "feature_matching":
            gap = jnp.mean(parts["f_real"], axis=0) - jnp.mean(parts["f_fake"], axis=0)
            loss_x = jnp.sum(gap**2)
        return loss_x, loss_y

    def project_y(self, y):
        if self.clip is None:
            return y
        return jnp.clip(y, -self.clip, self.clip)
