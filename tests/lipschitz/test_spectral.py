"""Spectral norms by power iteration against exact SVDs of explicitly built layer matrices."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gamedyn as gd

L = gd.lipschitz

# Power iteration's sigma converges like (s2/s1)^(2k); after convergence to tol = 1e-13 the
# estimate is within a few 1e-13 of the SVD, which itself is accurate to ~1e-15.
RTOL = 1e-10


@given(seed=st.integers(0, 2**31 - 1), shape=st.sampled_from([(7, 4), (3, 9)]))
def test_dense_power_iteration_matches_the_svd(seed, shape):
    w = np.random.default_rng(seed).normal(size=shape)
    out = L.spectral_norm(w)
    s = np.linalg.svd(w, compute_uv=False)
    np.testing.assert_allclose(out.sigma, s[0], rtol=RTOL)
    # The vectors are singular vectors: W v = sigma u.
    np.testing.assert_allclose(w @ np.asarray(out.v), s[0] * np.asarray(out.u), atol=1e-6)


def test_the_estimate_is_a_lower_bound_at_every_step():
    w = np.random.default_rng(0).normal(size=(6, 6))
    top = np.linalg.svd(w, compute_uv=False)[0]
    for steps in (1, 2, 5, 20):
        sigma = float(L.spectral_norm(w, n_iter=steps).sigma)
        assert sigma <= top * (1 + 1e-14)


def conv_matrix(kernel, n, stride=1, pad=(0, 0), circular=False):
    """The matrix of a multi-channel 2-D cross-correlation (torch's Conv2d), written out
    entry by entry: y[o, i, j] = sum_{c, a, b} K[o, c, a, b] x[c, i s + a - pad, j s + b - pad]."""
    c_out, c_in, kh, kw = kernel.shape
    lo_h, lo_w = pad
    if circular:
        out_h, out_w = n, n
    else:
        out_h = (n + 2 * lo_h - kh) // stride + 1
        out_w = (n + 2 * lo_w - kw) // stride + 1
    m = np.zeros((c_out, out_h, out_w, c_in, n, n))
    for o, i, j, c, a, b in itertools.product(range(c_out), range(out_h), range(out_w), range(c_in), range(kh), range(kw)):
        r, s = i * stride + a - lo_h, j * stride + b - lo_w
        if circular:
            m[o, i, j, c, r % n, s % n] += kernel[o, c, a, b]
        elif 0 <= r < n and 0 <= s < n:
            m[o, i, j, c, r, s] += kernel[o, c, a, b]
    return m.reshape(c_out * out_h * out_w, c_in * n * n)


CASES = {
    "same": dict(stride=1, padding="SAME", pad=(1, 1)),
    "torch padding=1, stride 2": dict(stride=2, padding=1, pad=(1, 1)),
    "valid": dict(stride=1, padding="VALID", pad=(0, 0)),
    "circular": dict(stride=1, padding="CIRCULAR", pad=(1, 1), circular=True),
}


@pytest.mark.parametrize("case", CASES)
def test_convolution_spectral_norm_matches_the_svd_of_its_matrix(case):
    spec = CASES[case]
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 2, 3, 3))
    n = 6
    matrix = conv_matrix(kernel, n, spec["stride"], spec["pad"], spec.get("circular", False))
    # The operator is the matrix (checks the layout and padding conventions).
    x = rng.normal(size=(2, n, n))
    conv = L.conv_operator(kernel, (2, n, n), stride=spec["stride"], padding=spec["padding"])
    np.testing.assert_allclose(np.asarray(conv(x)).ravel(), matrix @ x.ravel(), rtol=1e-12, atol=1e-12)
    out = L.conv_spectral_norm(kernel, (2, n, n), stride=spec["stride"], padding=spec["padding"])
    np.testing.assert_allclose(out.sigma, np.linalg.svd(matrix, compute_uv=False)[0], rtol=RTOL)
    assert bool(out.converged)


def test_circular_singular_values_are_the_full_spectrum_of_the_matrix():
    kernel = np.random.default_rng(4).normal(size=(2, 3, 3, 3))
    n = 5
    matrix = conv_matrix(kernel, n, circular=True, pad=(1, 1))
    exact = np.linalg.svd(matrix, compute_uv=False)  # 2 * 25 = 50 values
    fft = np.asarray(L.circular_conv_singular_values(kernel, n))
    assert fft.shape == exact.shape
    np.testing.assert_allclose(fft, exact, atol=1e-12)


def test_the_reshaped_kernel_norm_of_spectral_normalisation_is_not_the_layer_norm():
    # All-ones 3x3 kernel, one channel: the kernel matrix (1 x 9) has norm 3, while the
    # circular convolution maps the constant image to 9 times itself: norm 9 = sqrt(3*3) * 3,
    # attaining the bound ||conv|| <= sqrt(kh kw) ||K_matrix|| (Tsuzuku, Sato & Sugiyama 2018).
    kernel = np.ones((1, 1, 3, 3))
    _, _, sigma = L.spectral_normalize(kernel, np.ones(1), n_power_iterations=5)
    np.testing.assert_allclose(sigma, 3.0, rtol=1e-12)
    conv = L.conv_spectral_norm(kernel, (1, 8, 8), padding="CIRCULAR")
    np.testing.assert_allclose(conv.sigma, 9.0, rtol=RTOL)
    rng = np.random.default_rng(5)
    for _ in range(3):
        k = rng.normal(size=(4, 3, 3, 3))
        reshaped = np.linalg.svd(k.reshape(4, -1), compute_uv=False)[0]
        layer = float(L.conv_spectral_norm(k, (3, 7, 7)).sigma)
        assert layer <= 3.0 * reshaped * (1 + 1e-12)


def test_one_dimensional_convolution():
    kernel = np.array([[[1.0, -2.0, 0.5]]])
    n = 9
    matrix = np.zeros((n, n))
    for i in range(n):
        for a in range(3):
            if 0 <= i + a - 1 < n:
                matrix[i, i + a - 1] = kernel[0, 0, a]
    out = L.conv_spectral_norm(kernel, (1, n), padding=1)
    np.testing.assert_allclose(out.sigma, np.linalg.svd(matrix, compute_uv=False)[0], rtol=RTOL)


def test_spectral_normalisation_converges_and_its_sigma_has_the_svd_gradient():
    w = np.random.default_rng(6).normal(size=(5, 4))
    u0 = np.ones(5)
    w_sn, u, sigma = L.spectral_normalize(w, u0, n_power_iterations=200)
    U, S, Vt = np.linalg.svd(w)
    np.testing.assert_allclose(sigma, S[0], rtol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(w_sn, compute_uv=False)[0], 1.0, rtol=1e-12)
    # d sigma_max / dW = u_1 v_1^T; with u, v held constant (stop_gradient), d(u^T W v)/dW
    # is exactly that outer product once u, v have converged.
    grad = jax.grad(lambda m: L.spectral_normalize(m, u, n_power_iterations=1)[2])(jnp.asarray(w))
    np.testing.assert_allclose(np.abs(grad), np.abs(np.outer(U[:, 0], Vt[0])), atol=1e-10)
    # One iteration per training step with a persistent u also converges.
    u_t = jnp.asarray(u0)
    for _ in range(100):
        _, u_t, sigma_t = L.spectral_normalize(w, u_t)
    np.testing.assert_allclose(sigma_t, S[0], rtol=1e-10)


def test_operator_norm_of_a_custom_linear_map():
    a = np.random.default_rng(8).normal(size=(4, 3))

    def apply(x):
        return jnp.asarray(a) @ x[:3] + x[3]  # acts on R^4: [A | 1]

    matrix = np.c_[a, np.ones(4)]
    np.testing.assert_allclose(L.operator_norm(apply, (4,)).sigma, np.linalg.svd(matrix, compute_uv=False)[0], rtol=RTOL)


def test_torch_layers_are_read_without_copying_their_semantics():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(2, 3, kernel_size=3, stride=2, padding=1).double()
    lin = torch.nn.Linear(5, 4).double()
    # The layer's matrix, built by applying torch itself to basis images (no bias).
    basis = torch.eye(2 * 36, dtype=torch.float64).reshape(-1, 2, 6, 6)
    with torch.no_grad():
        columns = torch.nn.functional.conv2d(basis, conv.weight, stride=2, padding=1)
    matrix = columns.reshape(2 * 36, -1).T.numpy()
    np.testing.assert_allclose(
        L.layer_spectral_norm(conv, (2, 6, 6)).sigma, np.linalg.svd(matrix, compute_uv=False)[0], rtol=RTOL
    )
    np.testing.assert_allclose(
        L.layer_spectral_norm(lin).sigma, np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)[0], rtol=RTOL
    )
    with pytest.raises(ValueError, match="input_shape is needed"):
        L.layer_spectral_norm(conv)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: L.spectral_norm(np.zeros(3)), "weight has shape (3,)"),
        (lambda: L.spectral_norm(np.eye(2), n_iter=0), "n_iter=0 is not accepted"),
        (lambda: L.conv_spectral_norm(np.ones((1, 2, 3, 3)), (1, 5, 5)), "input_shape=(1, 5, 5) is not accepted"),
        (lambda: L.conv_spectral_norm(np.ones((1, 1, 3, 3)), (1, 5, 5), padding="reflect"), "padding='reflect'"),
        (lambda: L.conv_spectral_norm(np.ones((1, 1, 3, 3)), (1, 5, 5), padding="CIRCULAR", stride=2), "stride 1 only"),
        (lambda: L.circular_conv_singular_values(np.ones((1, 1, 3, 3)), 2), "input_size=2 is not accepted"),
        (lambda: L.spectral_normalize(np.eye(3), np.ones(2)), "u has shape (2,)"),
        (lambda: L.layer_spectral_norm(object()), "expected a torch nn.Linear"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
