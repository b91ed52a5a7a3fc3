"""``np.fft`` against finite differences (both modes, second order, real and complex input)."""
import numpy as np
import pytest

import chainrule as cr
from rulecheck import Arg, Case, table_test

F = np.fft
A = Arg()
V = Arg(shape=(5,))
M = Arg(shape=(3, 4))
B = Arg(shape=(2, 3, 4))

CASES = [
    Case("fft", F.fft, [A], min_dims=1, allow_empty=False, complex=True),
    Case("fft_n_pad", lambda a: F.fft(a, n=7, axis=0), [V], complex=True),
    Case("fft_n_cut_ortho", lambda a: F.fft(a, n=2, axis=-2, norm="ortho"), [B],
         complex=True),
    Case("ifft", F.ifft, [A], min_dims=1, allow_empty=False, complex=True),
    Case("ifft_n_forward", lambda a: F.ifft(a, n=6, axis=1, norm="forward"), [M],
         complex=True),
    Case("fft2", F.fft2, [M], complex=True),
    Case("ifft2_s", lambda a: F.ifft2(a, s=(2, 5)), [B], complex=True),
    Case("fftn", lambda a: F.fftn(a, norm="ortho"), [B], complex=True),
    Case("ifftn_axes", lambda a: F.ifftn(a, s=(4, 3), axes=(0, 2)), [B], complex=True),
    Case("rfft", F.rfft, [A], min_dims=1, allow_empty=False),
    Case("rfft_n", lambda a: F.rfft(a, n=8, axis=0, norm="ortho"), [M]),
    Case("rfft_odd_cut", lambda a: F.rfft(a, n=3), [V]),
    Case("irfft", F.irfft, [M], complex=True),
    Case("irfft_odd_n", lambda a: F.irfft(a, n=5, axis=0, norm="ortho"), [M], complex=True),
    Case("irfft_short", lambda a: F.irfft(a, n=2, norm="forward"), [V], complex=True),
    Case("rfft2", F.rfft2, [M]),
    Case("irfft2", F.irfft2, [M], complex=True),
    Case("rfftn_s", lambda a: F.rfftn(a, s=(4, 6), axes=(0, 1)), [M]),
    Case("irfftn", lambda a: F.irfftn(a, axes=(0, 2)), [B], complex=True),
    Case("hfft", lambda a: F.hfft(a, n=6), [V], complex=True),
    Case("ihfft", lambda a: F.ihfft(a, norm="ortho"), [V]),
    Case("fftshift", F.fftshift, [A], min_dims=1, complex=True),
    Case("ifftshift_axes", lambda a: F.ifftshift(a, axes=(0, 2)), [B], complex=True),
]

test_fft_rules = table_test(CASES)


@pytest.mark.parametrize("f", [F.rfft, F.rfftn, F.rfft2, F.ihfft])
def test_real_transforms_refuse_complex(f):
    with pytest.raises(TypeError, match="real input"):
        f(cr.tensor(np.ones((2, 2)) + 1j))


def test_bad_norm_and_length():
    x = cr.tensor(np.ones(4))
    with pytest.raises(ValueError, match="norm"):
        F.fft(x, norm="unitary")
    with pytest.raises(ValueError, match="FFT data points"):
        F.fft(x, n=0)


def test_fft_gradient_matches_numbers():
    # d/dx sum |fft(x)|^2 = 2 n x (Parseval), real and complex x
    for x in (np.array([1.0, -2.0, 0.5]), np.array([1 + 1j, 2.0, -1j])):
        g = cr.grad(lambda x: np.sum(np.real(np.fft.fft(x) * np.conj(np.fft.fft(x)))))(x)
        np.testing.assert_allclose(g, 2 * 3 * np.conj(x))


def test_fftfreq_with_tensor_spacing():
    d = cr.grad(lambda d: np.sum(np.fft.fftfreq(4, d) ** 2))(0.5)
    # sum (k / (4 d))^2 over k = 0, 1, -2, -1 is 6 / (16 d^2); derivative -12 / (16 d^3)
    np.testing.assert_allclose(d, -12 / (16 * 0.5 ** 3))
