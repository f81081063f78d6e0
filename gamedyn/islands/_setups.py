"""Named set-ups for the mode-collapse benchmarks: one place that says which game and which
rule "a plain GAN", "unrolled" or "PacGAN2" means in the studies and the comparison table."""

from __future__ import annotations

from .._checks import check_choice, check_positive
from ..games import GaussianMixture
from ..optim import adam, extragradient, gda, optimistic, unrolled

__all__ = ["METHODS", "DATASETS", "BENCHMARK_SIZES", "setup"]

#: Methods by name: the update rule, and the discriminator's packing for PacGAN.
METHODS = (
    "simultaneous",
    "alternating",
    "extragradient",
    "optimistic",
    "unrolled",
    "pacgan2",
    "pacgan3",
    "pacgan4",
)
DATASETS = ("ring", "grid")

#: Network and minibatch sizes of the benchmark runs: Metz et al. (2017)'s architecture
#: (two generator layers, one discriminator layer) at half width, a 16-dimensional latent
#: and minibatches of 128, so that 8 seeds of a few thousand steps fit a 2-core CPU. The
#: game's own defaults keep the paper's sizes (latent 256, width 128, minibatch 512).
BENCHMARK_SIZES = dict(latent_dim=16, gen_hidden=(64, 64), disc_hidden=(64,), batch_size=128)


def setup(method: str, data: str = "ring", *, lr=5e-4, b1=0.5, unroll=5, lr_unroll=0.1,
          **game_options):
    """``(game, rule)`` of a named benchmark method on the ring or the grid.

    Every method uses the non-saturating loss and Adam (``b1``, as in Metz et al. 2017 and
    Radford et al. 2016) as each player's base, step size ``lr`` for both players:

    * ``simultaneous``: both players step at once (the unrolled-GAN paper's baseline);
    * ``alternating``: the discriminator steps, then the generator at the new discriminator;
    * ``extragradient``, ``optimistic``: Extra-Adam and optimistic Adam (Gidel et al. 2019;
      Daskalakis et al. 2018);
    * ``unrolled``: the generator differentiates through ``unroll`` look-ahead ascent steps
      of the discriminator (Metz et al. 2017) of size ``lr_unroll`` (plain gradient steps:
      ``gd.optim.unrolled`` looks ahead without the base, so the look-ahead step is set on
      its own scale);
    * ``pacgan2/3/4``: the simultaneous rule with a discriminator that sees 2, 3 or 4
      samples at once (Lin et al. 2018).

    ``game_options`` override :data:`BENCHMARK_SIZES` and any other
    :class:`~gamedyn.games.GaussianMixture` option.

    >>> game, rule = setup("pacgan2", "grid")
    >>> game.k, game.pack, type(rule).__name__
    (25, 2, 'GDA')
    """
    check_choice("method", method, METHODS)
    check_choice("data", data, DATASETS)
    check_positive("lr", lr)
    options = {**BENCHMARK_SIZES, **game_options}
    if method.startswith("pacgan"):
        options["pack"] = int(method[len("pacgan"):])
    make = GaussianMixture.ring if data == "ring" else GaussianMixture.grid
    game = make(**options)
    base = adam(b1=b1)
    if method == "alternating":
        rule = gda(lr, alternating=True, base=base)
    elif method == "extragradient":
        rule = extragradient(lr, base=base)
    elif method == "optimistic":
        rule = optimistic(lr, base=base)
    elif method == "unrolled":
        rule = unrolled(lr, unroll, lr_unroll=lr_unroll, base=base)
    else:
        rule = gda(lr, base=base)
    return game, rule
