#!/usr/bin/python3
"""PyTorch reference for bench/train-engine.ts: the issue-5 MobileNetV2-style network, trained on
Fashion-MNIST with SGD (momentum 0.9, lr 0.01), batch 64, softmax cross-entropy. Prints one JSON line.

Same network as src/main/model/train/reference-net.ts: 3x3 stem conv 16 + relu6; MBConv e6k3->24 s2,
e6k3->24 (residual), e6k5->40 s2, e3k3->40 (residual); global mean; dense 10. Every conv has a bias, no
batch norm; kernels He-normal (std sqrt(2/fan_in)), biases zero, as the lab's initWeights. Stride-2 convs
use symmetric k//2 padding (PyTorch refuses padding='same' at stride 2; same shapes and FLOPs).
Run: /usr/bin/python3 bench/pytorch_reference.py --threads 2 --steps 30 --warmup 5
"""
import argparse, gzip, json, math, os, struct, time

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = '/usr/share/datasets/fashion-mnist'


def load_fashion(n):
    with gzip.open(os.path.join(DATA, 'train-images-idx3-ubyte.gz')) as f:
        magic, count, h, w = struct.unpack('>IIII', f.read(16))
        assert magic == 0x803
        images = torch.frombuffer(bytearray(f.read(n * h * w)), dtype=torch.uint8).reshape(n, 1, h, w).float() / 255
    with gzip.open(os.path.join(DATA, 'train-labels-idx1-ubyte.gz')) as f:
        magic, count = struct.unpack('>II', f.read(8))
        assert magic == 0x801
        labels = torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8).long()
    return images, labels


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride):
        super().__init__()
        mid = cin * expand
        self.expand = nn.Conv2d(cin, mid, 1)
        self.dw = nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid)
        self.project = nn.Conv2d(mid, cout, 1)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.project(F.relu6(self.dw(F.relu6(self.expand(x)))))
        return x + y if self.residual else y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 16, 3, 1, 1)
        self.blocks = nn.Sequential(MBConv(16, 24, 6, 3, 2), MBConv(24, 24, 6, 3, 1), MBConv(24, 40, 6, 5, 2), MBConv(40, 40, 3, 3, 1))
        self.fc = nn.Linear(40, 10)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                nn.init.normal_(m.weight, 0, math.sqrt(2 / fan_in))
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.fc(self.blocks(F.relu6(self.stem(x))).mean((2, 3)))


def machine_busy_seconds():
    # Busy CPU time of the whole machine (all processes) from /proc/stat, to tell how loaded the box was.
    with open('/proc/stat') as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v) - v[3] - v[4]) / os.sysconf('SC_CLK_TCK')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=30)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    n = a.batch * (a.steps + a.warmup)
    images, labels = load_fashion(min(n, 60000))
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    losses = []

    def step(i):
        lo = (i * a.batch) % images.shape[0]
        x, y = images[lo:lo + a.batch], labels[lo:lo + a.batch]
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(a.warmup):
        step(i)
    wall0, cpu0, busy0 = time.perf_counter(), time.process_time(), machine_busy_seconds()
    for i in range(a.warmup, a.warmup + a.steps):
        losses.append(step(i))
    wall, cpu, busy = time.perf_counter() - wall0, time.process_time() - cpu0, machine_busy_seconds() - busy0
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'steps': a.steps, 'batch': a.batch,
        'params': sum(p.numel() for p in net.parameters()), 'msPerStep': 1000 * wall / a.steps,
        'imgPerSec': a.batch * a.steps / wall, 'wallSeconds': wall, 'cpuSeconds': cpu, 'machineBusySeconds': busy, 'lastLoss': losses[-1]
    }))


if __name__ == '__main__':
    main()
