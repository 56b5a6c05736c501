"""Smoke tests of the GAN, autoencoder, policy-gradient and saliency examples (seconds each)."""
import os

import pytest


def test_cartpole_policy_gradient_solves_the_task():
    pytest.importorskip("gymnasium")
    from tensorforge.examples import cartpole_pg

    assert cartpole_pg.main(["--seed", "0"]) >= 195  # the full example: about 2 s


def test_cartpole_quick():
    pytest.importorskip("gymnasium")
    from tensorforge.examples import cartpole_pg

    assert cartpole_pg.main(["--quick"]) > 0


def test_gan_quick(tmp_path):
    from tensorforge.examples import gan_digits

    out = gan_digits.main(["--quick", "--out", str(tmp_path / "grid.png")])
    assert 0.0 < out["confidence"] <= 1.0 and out["nearest"] > 0
    assert out["real_nearest"] < out["noise_nearest"]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert out["path"] is None
    else:
        assert os.path.getsize(out["path"]) > 1000


def test_autoencoder_anomaly_quick():
    pytest.importorskip("sklearn")
    from tensorforge.examples import autoencoder_anomaly

    out = autoencoder_anomaly.main(["--quick"])
    assert 0.0 <= out["f1"] <= 1.0 and 0.0 <= out["auc"] <= 1.0


def test_saliency_digits_quick(tmp_path):
    pytest.importorskip("matplotlib")
    from tensorforge.examples import saliency_digits

    out = saliency_digits.main(["--quick", "--out-dir", str(tmp_path)])
    assert len(out["paths"]) == 2 and all(os.path.getsize(p) > 1000 for p in out["paths"])
    assert set(out["drops"]) == {"integrated gradients", "saliency", "random pixels", "random inked pixels"}
