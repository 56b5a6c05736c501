"""Policy gradient on CartPole-v1: REINFORCE with a learned value baseline (gymnasium).

    python -m tensorforge.examples.cartpole_pg [--seed 0] [--max-updates 300] [--quick]

Each update plays a batch of episodes in parallel with the stochastic policy, then takes one
Adam step on the policy (log-probability times the advantage, the return minus the value
baseline, plus a small entropy bonus) and one on the value network. Training stops once the
greedy policy averages 475 over 20 episodes; the result is the average return of the greedy
policy over 100 consecutive evaluation episodes on unseen seeds (solved: >= 195). Needs
``pip install gymnasium`` (or ``tensorforge[examples]``).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import tensorforge as tf
import tensorforge.nn as nn


def _gym():
    try:
        import gymnasium
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit("cartpole_pg needs gymnasium: pip install gymnasium (or tensorforge[examples])") from e
    return gymnasium


def mlp(out: int) -> nn.Module:
    return nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, out))


def play(policy: nn.Module, seeds, rng=None, greedy: bool = False, max_steps: int = 500):
    """Runs one episode per seed, all in lockstep (one batched forward per step).
    Returns the episode returns and, unless greedy, the trajectories (states, actions, rewards)."""
    gym = _gym()
    envs = [gym.make("CartPole-v1", max_episode_steps=max_steps) for _ in seeds]
    obs = np.stack([e.reset(seed=int(s))[0] for e, s in zip(envs, seeds)]).astype(np.float32)
    alive = np.ones(len(envs), bool)
    returns = np.zeros(len(envs))
    traj = [([], [], []) for _ in envs]
    with tf.no_grad():
        while alive.any():
            idx = np.flatnonzero(alive)
            probs = policy(tf.from_numpy(np.ascontiguousarray(obs[idx]))).softmax(-1).numpy()
            actions = probs.argmax(1) if greedy else (rng.random(len(idx)) < probs[:, 1]).astype(np.int64)
            for k, i in enumerate(idx):
                nxt, reward, terminated, truncated, _ = envs[i].step(int(actions[k]))
                if not greedy:
                    traj[i][0].append(obs[i].copy())
                    traj[i][1].append(actions[k])
                    traj[i][2].append(reward)
                returns[i] += reward
                obs[i] = nxt
                if terminated or truncated:
                    alive[i] = False
    for e in envs:
        e.close()
    return returns, traj


def discounted(rewards, gamma: float) -> np.ndarray:
    out, running = np.empty(len(rewards)), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes-per-update", type=int, default=8)
    p.add_argument("--max-updates", type=int, default=300)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--entropy", type=float, default=0.01)
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--quick", action="store_true", help="a few updates and a short evaluation (smoke test)")
    args = p.parse_args(argv)
    if args.quick:
        args.max_updates, args.eval_episodes = 2, 3

    tf.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    policy, value = mlp(2), mlp(1)
    opt_pi = tf.optim.Adam(policy.parameters(), lr=args.lr)
    opt_v = tf.optim.Adam(value.parameters(), lr=3 * args.lr)
    scale = 1.0 / (1.0 - args.gamma)  # the value net predicts returns / scale
    start = time.perf_counter()
    next_seed = args.seed * 100_000
    print(f"cartpole_pg: REINFORCE + value baseline, {args.episodes_per_update} episodes per update, "
          f"kernels: {tf.backends.cpu.get_cpu_capability()}")
    episodes = 0
    for update in range(1, args.max_updates + 1):
        seeds = range(next_seed, next_seed + args.episodes_per_update)
        next_seed += args.episodes_per_update
        rets, traj = play(policy, seeds, rng)
        episodes += len(rets)
        states = tf.from_numpy(np.concatenate([np.stack(t[0]) for t in traj]).astype(np.float32))
        actions = tf.from_numpy(np.concatenate([np.asarray(t[1], np.int64) for t in traj]))
        targets = np.concatenate([discounted(t[2], args.gamma) for t in traj]) / scale
        v = value(states).reshape(-1)
        adv = targets - v.detach().numpy()
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        logp = policy(states).log_softmax(-1)
        chosen = logp.gather(1, actions.reshape(-1, 1)).reshape(-1)
        entropy = -(logp.exp() * logp).sum(1).mean()
        loss_pi = -(chosen * tf.from_numpy(adv.astype(np.float32))).mean() - args.entropy * entropy
        opt_pi.zero_grad()
        loss_pi.backward()
        opt_pi.step()
        loss_v = nn.functional.mse_loss(v, tf.from_numpy(targets.astype(np.float32)))
        opt_v.zero_grad()
        loss_v.backward()
        opt_v.step()
        if update % 10 == 0 or update == 1:
            print(f"update {update:4d}  episodes {episodes:5d}  mean return {rets.mean():6.1f}  "
                  f"value loss {float(loss_v):.4f}  [{time.perf_counter() - start:5.1f}s]", flush=True)
        if rets.mean() >= 475:
            check, _ = play(policy, range(10**8 + update * 20, 10**8 + update * 20 + 20), greedy=True)
            print(f"update {update:4d}  greedy check over 20 episodes: {check.mean():.1f}", flush=True)
            if check.mean() >= 475:
                break
    train_time = time.perf_counter() - start
    final, _ = play(policy, range(10**9, 10**9 + args.eval_episodes), greedy=True)
    total = time.perf_counter() - start
    verdict = "solved" if final.mean() >= 195 else "not solved"
    print(f"final: average return {final.mean():.1f} over {args.eval_episodes} consecutive evaluation episodes "
          f"(min {final.min():.0f}, max {final.max():.0f}; {verdict}, threshold 195) after {episodes} training "
          f"episodes in {train_time:.1f}s; total {total:.1f}s")
    return float(final.mean())


if __name__ == "__main__":
    main()
