"""Named set-ups for the mode-collapse benchmarks: one place that says which game and which
rule "a plain GAN", "unrolled" or "PacGAN2" means in the studies and the comparison table.

Two published protocols (``protocol="veegan"`` and ``"pacgan"``) and the small benchmark
set-up of the quick studies (``protocol=None``). :data:`PROTOCOLS` holds every number of the
two protocols with its source; :func:`protocol_text` says it in words, deviations included.
"""

from __future__ import annotations

from .._checks import check_choice, check_int, check_positive
from ..games import GaussianMixture
from ..optim import adam, extragradient, gda, optimistic, unrolled

__all__ = ["METHODS", "DATASETS", "BENCHMARK_SIZES", "PROTOCOLS", "setup", "protocol_text"]

#: Methods by name: the update rule, and the discriminator's packing for PacGAN. ``gan`` and
#: ``gan_alternating`` are the plain GAN trained by simultaneous and alternating steps
#: (``simultaneous`` and ``alternating`` are the same two under their older names).
METHODS = (
    "gan",
    "gan_alternating",
    "simultaneous",
    "alternating",
    "extragradient",
    "optimistic",
    "unrolled",
    "pacgan2",
    "pacgan3",
    "pacgan4",
)
_ALIASES = {"simultaneous": "gan", "alternating": "gan_alternating"}
DATASETS = ("ring", "grid")

#: Network and minibatch sizes of the quick benchmark runs (``protocol=None``): Metz et al.
#: (2017)'s architecture (two generator layers, one discriminator layer) at half width, a
#: 16-dimensional latent and minibatches of 128, so that 8 seeds of a few thousand steps fit
#: a 2-core CPU in minutes. They do not converge to the papers' regime; the two protocols do.
BENCHMARK_SIZES = dict(latent_dim=16, gen_hidden=(64, 64), disc_hidden=(64,), batch_size=128)

#: The two published protocols. ``game``: :class:`~gamedyn.games.GaussianMixture` options
#: (``batch_size`` is per pack: the discriminator sees ``batch_size`` packs, the generator
#: makes ``pack * batch_size`` samples a step); ``lr``, ``b1``, ``b2``: Adam for both
#: players; ``steps``: the paper's training length.
PROTOCOLS = {
    # Lin, Khetan, Fanti & Oh (2018), "PacGAN", Sec. 4.1 and their released code
    # (synthetic_data_experiments): generator 2-D N(0, I) latent -> 4 x [linear 400, batch
    # norm, ReLU] -> linear 2; discriminator 2m inputs -> 3 x maxout(200 units, 5 pieces) ->
    # linear 1; weights N(0, 0.02^2); non-saturating loss; Adam lr 1e-4, b1 0.8; 100 packs
    # per minibatch; 400 epochs of 100,000 packs (400,000 steps); 10 trials.
    "pacgan": dict(
        game=dict(
            latent_dim=2, gen_hidden=(400, 400, 400, 400), gen_batchnorm=True,
            disc_hidden=(200, 200, 200), disc_activation="maxout", maxout_pieces=5,
            init_std=0.02, batch_size=100, loss="nonsaturating",
        ),
        lr=1e-4, b1=0.8, b2=0.999, steps=400_000, trials=10,
    ),
    # Srivastava et al. (2017), "VEEGAN", Sec. 5.1 (data, scoring, 5 unrolling steps); the
    # networks and optimiser of the 2-D notebook in the authors' repository (a 2019 rewrite;
    # the paper's text gives none): latent 256 -> 2 x 128 ReLU ->
    # 2; discriminator 1 x 128 ReLU; Adam lr 1e-3, b1 0.5; minibatch 500; 100,000 steps;
    # scored over 5 runs. (The same architecture as Metz et al. 2017, App. A, whose 2-D
    # experiment the unrolled baseline follows: 5 look-ahead steps of the discriminator's
    # own Adam.)
    "veegan": dict(
        game=dict(
            latent_dim=256, gen_hidden=(128, 128), disc_hidden=(128,), batch_size=500,
            loss="nonsaturating",
        ),
        lr=1e-3, b1=0.5, b2=0.999, steps=100_000, trials=5,
    ),
}


def canonical_method(method: str) -> str:
    """The method's name in the table (``simultaneous`` -> ``gan``, ``alternating`` ->
    ``gan_alternating``, others unchanged).

    >>> [canonical_method(m) for m in ("simultaneous", "alternating", "pacgan2")]
    ['gan', 'gan_alternating', 'pacgan2']
    """
    check_choice("method", method, METHODS)
    return _ALIASES.get(method, method)


def setup(method: str, data: str = "ring", *, protocol: str | None = None, lr=None, b1=None,
          unroll=5, lr_unroll=None, look_ahead=None, **game_options):
    """``(game, rule)`` of a named benchmark method on the ring or the grid.

    Every method uses the non-saturating loss and Adam as each player's base, the same step
    size ``lr`` for both players:

    * ``gan`` (``simultaneous``): both players step at once;
    * ``gan_alternating`` (``alternating``): the discriminator steps, then the generator at
      the new discriminator;
    * ``extragradient``, ``optimistic``: Extra-Adam and optimistic Adam (Gidel et al. 2019;
      Daskalakis et al. 2018);
    * ``unrolled``: the generator differentiates through ``unroll`` look-ahead steps of the
      discriminator (Metz et al. 2017); ``look_ahead="base"`` unrolls the discriminator's
      own Adam as the paper does, ``"plain"`` takes plain ascent steps of size
      ``lr_unroll``;
    * ``pacgan2/3/4``: the simultaneous rule with a discriminator that sees 2, 3 or 4
      samples at once (Lin et al. 2018); as in PacGAN's code the discriminator keeps its
      widths (only its first layer's fan-in grows) and sees as many packs per minibatch as
      the plain GAN sees samples.

    ``protocol``:

    * ``"pacgan"``, ``"veegan"``: the networks, minibatch and Adam settings of
      :data:`PROTOCOLS` (Lin et al. 2018; Srivastava et al. 2017); ``lr`` defaults to the
      paper's, the unrolled look-ahead to the discriminator's own Adam at ``lr``;
    * ``None``: the quick benchmark set-up (:data:`BENCHMARK_SIZES`, Adam b1 0.5, lr 5e-4,
      plain look-ahead steps of 0.1).

    ``game_options`` override any :class:`~gamedyn.games.GaussianMixture` option.

    >>> game, rule = setup("pacgan2", "grid", protocol="pacgan")
    >>> game.k, game.pack, game.batch_size, game.disc_activation, type(rule).__name__
    (25, 2, 200, 'maxout', 'GDA')
    >>> setup("unrolled", protocol="veegan")[1].look_ahead
    'base'
    """
    method = canonical_method(method)
    check_choice("data", data, DATASETS)
    check_choice("protocol", protocol, (None, "pacgan", "veegan"))
    check_int("unroll", unroll, minimum=1)
    pack = int(method[len("pacgan"):]) if method.startswith("pacgan") else 1
    if protocol is None:
        lr = 5e-4 if lr is None else lr
        b1, b2 = (0.5 if b1 is None else b1), 0.999
        look_ahead = "plain" if look_ahead is None else look_ahead
        lr_unroll = 0.1 if lr_unroll is None and look_ahead == "plain" else lr_unroll
        options = {**BENCHMARK_SIZES, **game_options}
    else:
        spec = PROTOCOLS[protocol]
        lr = spec["lr"] if lr is None else lr
        b1, b2 = (spec["b1"] if b1 is None else b1), spec["b2"]
        look_ahead = "base" if look_ahead is None else look_ahead
        options = {**spec["game"], **game_options}
        # batch_size counts packs: the discriminator sees that many per step.
        options["batch_size"] = int(options["batch_size"]) * pack
    check_positive("lr", lr)
    if pack > 1:
        options["pack"] = pack
    make = GaussianMixture.ring if data == "ring" else GaussianMixture.grid
    game = make(**options)
    base = adam(b1=b1, b2=b2)
    if method == "gan_alternating":
        rule = gda(lr, alternating=True, base=base)
    elif method == "extragradient":
        rule = extragradient(lr, base=base)
    elif method == "optimistic":
        rule = optimistic(lr, base=base)
    elif method == "unrolled":
        rule = unrolled(lr, unroll, lr_unroll=lr_unroll, base=base, look_ahead=look_ahead)
    else:
        rule = gda(lr, base=base)
    return game, rule


def protocol_text(protocol: str) -> str:
    """One paragraph naming the protocol's source and every setting (for the table).

    >>> protocol_text("pacgan").split(":")[0]
    'PacGAN protocol (Lin et al. 2018, Sec. 4.1 and their released code)'
    """
    check_choice("protocol", protocol, ("pacgan", "veegan"))
    spec = PROTOCOLS[protocol]
    g = spec["game"]
    if protocol == "pacgan":
        nets = (
            "generator 2-D N(0, I) latent -> 4 x [dense 400, batch norm, ReLU] -> 2; "
            "discriminator 3 x maxout (200 units, 5 pieces) -> 1, the m samples of a pack "
            "concatenated at its input; weights N(0, 0.02^2)"
        )
        head = "PacGAN protocol (Lin et al. 2018, Sec. 4.1 and their released code)"
    else:
        nets = (
            f"generator {g['latent_dim']}-D N(0, I) latent -> 2 x [dense 128, ReLU] -> 2; "
            "discriminator 1 x [dense 128, ReLU] -> 1; weights N(0, 1/fan_in)"
        )
        head = "VEEGAN protocol (Srivastava et al. 2017, Sec. 5.1, and the 2-D notebook in the authors' repository)"
    return (
        f"{head}: {nets}; non-saturating loss; Adam (b1 {spec['b1']}, b2 {spec['b2']}) for "
        f"both players at the paper's lr {spec['lr']:g}; {g['batch_size']} "
        f"{'packs' if protocol == 'pacgan' else 'samples'} per minibatch; the paper trains "
        f"{spec['steps']:,} steps and scores {spec['trials']} trials."
    )
