#!/usr/bin/python3
# Trains a small Fashion-MNIST CNN (one depthwise-separable block) with PyTorch, exports it to ONNX and writes models/fmnist-cnn with its card.
#
#   /usr/bin/python3 scripts/train-fmnist-cnn.py [--epochs 12] [--threads 1] [--batch 128] [--lr 0.002] [--seed 1] [--out models/fmnist-cnn]
#
# Needs PyTorch and the onnx package (Debian: python3-torch python3-onnx) and Node for the
# onnxruntime check (scripts/check-fmnist-cnn.ts); the tests and the demo need none of the Python.
# The exported graph takes the normalized image ((x / 255 - mean) / std, NCHW float32) and gives
# logits; its metadata_props say how to normalize (quiver.preprocess) and name the classes.
import argparse
import datetime
import gzip
import hashlib
import json
import os
import platform
import struct
import subprocess
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
FMNIST_DIR = os.environ.get('FMNIST_DIR', '/usr/share/datasets/fashion-mnist')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 13


def fmnist_file(split, kind):
    return os.path.join(FMNIST_DIR, f"{split}-{kind}-{'idx3' if kind == 'images' else 'idx1'}-ubyte.gz")


def read_idx(path):
    """An IDX file (gzip) as a uint8 numpy array of its declared shape."""
    with gzip.open(path, 'rb') as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file (magic {data[:4].hex()})')
    dims = struct.unpack(f'>{ndim}I', data[4:4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f'{path}: {body.size} bytes of data, header says {dims}')
    return body.reshape(dims)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


class FmnistCnn(nn.Module):
    """Conv(1->16)+BN+ReLU, pool, depthwise Conv(16, 3x3)+BN+ReLU, pointwise Conv(16->32)+BN+ReLU, pool, FC 1568->128->10."""

    def __init__(self, dropout):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.dw2 = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.pw2 = nn.Conv2d(16, 32, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.relu(self.bn2(self.dw2(x)))
        x = F.max_pool2d(F.relu(self.bn3(self.pw2(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc2(self.drop(F.relu(self.fc1(x))))


def predict(model, x, batch=1000):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i:i + batch]).argmax(1) for i in range(0, len(x), batch)])


def accuracy(pred, labels):
    # Counts over counts, so the card holds exact fractions (0.9181), not float32 means.
    return int((pred == labels).sum()) / len(labels)


def per_class(pred, labels):
    return {name: accuracy(pred[labels == c], labels[labels == c]) for c, name in enumerate(LABELS)}


def git(*args):
    return subprocess.run(['git', *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def code_commit():
    """HEAD, marked -dirty when this script or its check differ from it (other files do not matter here)."""
    try:
        dirty = git('status', '--porcelain', '--', 'scripts/train-fmnist-cnn.py', 'scripts/check-fmnist-cnn.ts')
        return git('rev-parse', 'HEAD') + ('-dirty' if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def pct(v):
    return f'{v * 100:.2f}%'


def write_readme(path, card):
    hp = card['hyperParameters']
    m = card['metrics']
    ort = m['onnxruntime']
    pre = card['preprocess']
    lines = [
        '# Model card: fmnist-cnn',
        '',
        f"- Architecture: {hp['architecture']}",
        f"- Parameters: {card['parameters']:,}",
        f"- File: model.onnx (ONNX opset {card['onnx']['opset']}, {card['onnx']['bytes']:,} bytes), sha256 {card['onnx']['sha256']}",
        f"- Input `{card['onnx']['input']}`: float32 [N, 1, 28, 28], the uint8 image normalized as (x * {pre['scale']} - {pre['mean'][0]}) / {pre['std'][0]}",
        f"- Output `{card['onnx']['output']}`: float32 [N, 10] logits (no softmax in the graph)",
        f"- ONNX metadata_props: {', '.join(card['onnx']['metadataProps'])}",
        f"- Trained: {card['date']}, code commit {card['code']['commit']}, command `{card['code']['command']}`",
        f"- Environment: torch {card['environment']['torch']}, onnx {card['environment']['onnx']}, numpy {card['environment']['numpy']}, "
        f"Python {card['environment']['python']}, CPU threads: {card['environment']['threads']}",
        f"- Data: {card['data']['name']}, {card['data']['trainRows']} training and {card['data']['testRows']} test rows",
        *[f"  - {f['path']}: sha256 {f['sha256']}" for f in card['data']['files']],
        f"- Hyper-parameters: {', '.join(f'{k}={v}' for k, v in hp.items() if k != 'architecture')}",
        f"- Training time: {m['trainSeconds']:.0f} s",
        '',
        f"## Test accuracy: {pct(m['testAccuracy'])} (PyTorch), {pct(ort['testAccuracy'])} (onnxruntime-node {ort['version']})",
        '',
        '| class | PyTorch | onnxruntime |',
        '| --- | --- | --- |',
        *[f"| {name} | {pct(m['perClass'][name])} | {pct(ort['perClass'][name])} |" for name in LABELS],
        '',
    ]
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=0.002)
    ap.add_argument('--weight-decay', type=float, default=5e-4)
    ap.add_argument('--dropout', type=float, default=0.3)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default='models/fmnist-cnn')
    args = ap.parse_args()

    files = [fmnist_file(s, k) for s in ('train', 't10k') for k in ('images', 'labels')]
    missing = [p for p in files if not os.path.exists(p)]
    if missing:
        sys.exit(f"Fashion-MNIST is missing ({', '.join(missing)}). Install it with:\n"
                 '  sudo apt-get update && sudo apt-get install -y dataset-fashion-mnist\n'
                 '(or set FMNIST_DIR to a directory holding the four *-ubyte.gz files)')

    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    t0 = time.time()
    train_x = torch.from_numpy(read_idx(fmnist_file('train', 'images')).astype(np.float32) / 255).unsqueeze(1)
    train_y = torch.from_numpy(read_idx(fmnist_file('train', 'labels')).astype(np.int64))
    test_x = torch.from_numpy(read_idx(fmnist_file('t10k', 'images')).astype(np.float32) / 255).unsqueeze(1)
    test_y = torch.from_numpy(read_idx(fmnist_file('t10k', 'labels')).astype(np.int64))
    # The statistics of the training set only, in float64 so that the card's figures are exact.
    mean = float(train_x.double().mean())
    std = float(train_x.double().std())
    train_x = (train_x - mean) / std
    test_x = (test_x - mean) / std
    print(f'Fashion-MNIST: {len(train_x)} training and {len(test_x)} test images; mean {mean:.6f} std {std:.6f}; {args.threads} threads')

    model = FmnistCnn(args.dropout)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    steps_per_epoch = (len(train_x) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        model.train()
        te = time.time()
        order = torch.randperm(len(train_x), generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            x, y = train_x[idx], train_y[idx]
            # Horizontal flips of half the batch: clothes are (nearly) mirror-symmetric, and this costs nothing.
            flip = torch.rand(len(idx), generator=gen) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss) * len(idx)
            correct += int((out.argmax(1) == y).sum())
        acc = accuracy(predict(model, test_x), test_y)
        print(f'epoch {epoch:2d}  loss {loss_sum / len(train_x):.4f}  train acc {correct / len(train_x) * 100:.2f}%  '
              f'test acc {acc * 100:.2f}%  {time.time() - te:.1f} s', flush=True)
    train_seconds = time.time() - t0

    pred = predict(model, test_x)
    test_accuracy = accuracy(pred, test_y)

    out_dir = os.path.join(ROOT, args.out) if not os.path.isabs(args.out) else args.out
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, 'model.onnx')
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, opset_version=OPSET,
                      input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {0: 'N'}, 'logits': {0: 'N'}}, do_constant_folding=True)
    preprocess = {'scale': 1 / 255, 'mean': [mean], 'std': [std], 'layout': 'NCHW', 'channels': 1, 'size': [28, 28]}
    meta = {
        'quiver.labels': json.dumps(LABELS),
        'quiver.preprocess': json.dumps(preprocess),
        'quiver.output': 'logits',
    }
    m = onnx.load(onnx_path)
    del m.metadata_props[:]
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    m.producer_name = 'quiver scripts/train-fmnist-cnn.py (torch.onnx)'
    m.doc_string = 'Fashion-MNIST CNN: normalized image [N,1,28,28] -> logits [N,10]'
    onnx.checker.check_model(m)
    onnx.save(m, onnx_path)
    ops = sorted({n.op_type for n in m.graph.node})
    print(f'wrote {onnx_path}: {os.path.getsize(onnx_path)} bytes, ops {ops}')

    # onnxruntime must agree with PyTorch on the whole test set (within 0.1% accuracy).
    check = subprocess.run(['npx', 'tsx', 'scripts/check-fmnist-cnn.ts', onnx_path], cwd=ROOT, capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit(f'onnxruntime check failed:\n{check.stdout}{check.stderr}')
    ort = json.loads(check.stdout.strip().splitlines()[-1])
    if abs(ort['testAccuracy'] - test_accuracy) > 0.001:
        sys.exit(f"onnxruntime accuracy {ort['testAccuracy']} differs from PyTorch's {test_accuracy} by more than 0.1%")

    argv = ' '.join(sys.argv[1:])
    card = {
        'model': 'fmnist-cnn',
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z'),
        'code': {'commit': code_commit(), 'command': f'/usr/bin/python3 scripts/train-fmnist-cnn.py {argv}'.strip()},
        'data': {
            'name': 'Fashion-MNIST (Debian dataset-fashion-mnist)',
            'files': [{'path': p, 'sha256': sha256_file(p)} for p in files],
            'trainRows': len(train_x),
            'testRows': len(test_x),
        },
        'hyperParameters': {
            'epochs': args.epochs, 'batchSize': args.batch, 'learningRate': args.lr, 'schedule': 'one-cycle',
            'weightDecay': args.weight_decay, 'dropout': args.dropout, 'seed': args.seed, 'optimizer': 'adamw',
            'augmentation': 'horizontal flip (p=0.5)', 'threads': args.threads,
            'architecture': 'conv3x3(1->16)+bn+relu, maxpool2, depthwise conv3x3(16)+bn+relu, '
                            'conv1x1(16->32)+bn+relu, maxpool2, fc(1568->128)+relu, dropout, fc(128->10)',
        },
        'parameters': params,
        'environment': {
            'torch': torch.__version__, 'onnx': onnx.__version__, 'numpy': np.__version__,
            'python': platform.python_version(), 'threads': torch.get_num_threads(),
        },
        'onnx': {
            'file': 'model.onnx', 'sha256': sha256_file(onnx_path), 'bytes': os.path.getsize(onnx_path), 'opset': OPSET,
            'input': 'image', 'output': 'logits', 'ops': ops, 'metadataProps': list(meta),
        },
        'preprocess': preprocess,
        'labels': LABELS,
        'metrics': {
            'testAccuracy': test_accuracy,
            'perClass': per_class(pred, test_y),
            'trainSeconds': train_seconds,
            'onnxruntime': ort,
        },
    }
    with open(os.path.join(out_dir, 'card.json'), 'w') as f:
        json.dump(card, f, indent=2)
        f.write('\n')
    write_readme(os.path.join(out_dir, 'README.md'), card)
    print(f"test accuracy {pct(test_accuracy)} (PyTorch), {pct(ort['testAccuracy'])} (onnxruntime); wrote {out_dir} in {train_seconds:.0f} s")


if __name__ == '__main__':
    main()
