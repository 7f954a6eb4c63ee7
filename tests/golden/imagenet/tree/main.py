"""Train a small ResNet on synthetic ImageNet-style data with CUDA.

Supports a single GPU, DataParallel over all visible GPUs, and
DistributedDataParallel with one process per GPU (NCCL backend), plus
mixed precision (AMP) and checkpoint/resume. Falls back to the CPU when no
GPU is available.

Every training step prints ``step <n> loss <value>`` to stdout; all other
diagnostics go to stderr, so the loss curves of two runs can be diffed.
"""
import argparse
import os
import random
import sys
import time
import warnings

import torch
import torch_mlu
import torch.backends.cudnn as cudnn
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
from torch.amp import GradScaler, autocast
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from model import tiny_resnet

parser = argparse.ArgumentParser(description='Synthetic ImageNet training on CUDA GPUs')
parser.add_argument('--epochs', default=2, type=int, help='number of epochs to run')
parser.add_argument('--steps-per-epoch', default=None, type=int,
                    help='stop each epoch after this many steps (default: full epoch)')
parser.add_argument('-b', '--batch-size', default=64, type=int,
                    help='total batch size across all GPUs of a node')
parser.add_argument('--lr', '--learning-rate', default=0.1, type=float, dest='lr')
parser.add_argument('--momentum', default=0.9, type=float)
parser.add_argument('--wd', '--weight-decay', default=1e-4, type=float, dest='weight_decay')
parser.add_argument('--seed', default=0, type=int,
                    help='random seed; a negative value disables seeding (enables cudnn.benchmark)')
parser.add_argument('--gpu', default=None, type=int, help='GPU id to use')
parser.add_argument('--no-cuda', action='store_true', help='disable CUDA even if it is available')
parser.add_argument('--device', default='mlu', choices=['mlu', 'cpu'])
parser.add_argument('--world-size', default=1, type=int, help='number of nodes')
parser.add_argument('--rank', default=0, type=int, help='node rank')
parser.add_argument('--dist-url', default='tcp://127.0.0.1:23456', type=str)
parser.add_argument('--dist-backend', default='cncl', type=str)
parser.add_argument('--multiprocessing-distributed', action='store_true',
                    help='launch one process per GPU and train with DistributedDataParallel')
parser.add_argument('--amp', action='store_true', help='use automatic mixed precision')
parser.add_argument('--resume', default='', type=str, metavar='PATH', help='checkpoint to resume from')
parser.add_argument('--checkpoint', default='', type=str, metavar='PATH', help='where to save checkpoints')
parser.add_argument('--image-size', default=32, type=int)
parser.add_argument('--num-classes', default=10, type=int)
parser.add_argument('--train-samples', default=1024, type=int)
parser.add_argument('--val-samples', default=256, type=int)
parser.add_argument('-j', '--workers', default=2, type=int, help='data loading workers')
parser.add_argument('-p', '--print-freq', default=10, type=int)
parser.add_argument('--config', default='', type=str, metavar='PATH',
                    help='YAML file of defaults (keys are option names with underscores)')


def log(*msg):
    print(*msg, file=sys.stderr, flush=True)


class SyntheticImageNet(Dataset):
    """Random images whose colour cast depends on the label.

    Each sample is generated from its own seeded CPU generator, so the data
    is identical across runs, devices and numbers of workers. Splits with a
    different ``seed`` share the per-class colour casts.
    """

    def __init__(self, length, image_size=224, num_classes=1000, seed=0):
        self.length = length
        self.image_size = image_size
        self.num_classes = num_classes
        self.seed = seed
        g = torch.Generator().manual_seed(12345)
        self.class_means = torch.randn(num_classes, 3, 1, 1, generator=g)

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        g = torch.Generator()
        g.manual_seed(self.seed * 1_000_003 + index)
        target = int(torch.randint(self.num_classes, (), generator=g))
        image = torch.randn(3, self.image_size, self.image_size, generator=g)
        return image + self.class_means[target], target


class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, value, n=1):
        self.sum += value * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)


def parse_args(argv=None):
    """Command-line flags win over the --config file, which wins over the built-in defaults."""
    early, _ = parser.parse_known_args(argv)
    if early.config:
        import yaml  # only needed with --config
        with open(early.config) as f:
            parser.set_defaults(**(yaml.safe_load(f) or {}))
    return parser.parse_args(argv)


def main():
    args = parse_args()

    use_cuda = not args.no_cuda and torch.mlu.is_available()
    if args.device == 'mlu' and not use_cuda:
        log('CUDA is not available (or --no-cuda was given), training on the CPU')
        args.device = 'cpu'
    if args.device == 'mlu':
        log('CUDA_VISIBLE_DEVICES={}'.format(os.environ.get('MLU_VISIBLE_DEVICES', '<unset>')))

    # NCCL only works with GPUs; gloo is the fallback for CPU-only runs.
    if args.dist_backend == 'cncl' and args.device == 'cpu':
        args.dist_backend = 'gloo'

    args.distributed = args.world_size > 1 or args.multiprocessing_distributed
    ngpus_per_node = torch.mlu.device_count() if args.device == 'mlu' else 1
    if args.multiprocessing_distributed:
        # one process per GPU: world_size becomes the total number of processes
        args.world_size = ngpus_per_node * args.world_size
        mp.spawn(main_worker, nprocs=ngpus_per_node, args=(ngpus_per_node, args))
    else:
        main_worker(args.gpu, ngpus_per_node, args)


def main_worker(gpu, ngpus_per_node, args):
    args.gpu = gpu
    use_cuda = args.device == 'mlu'

    # seed and configure cuDNN here, not in main(): spawned workers start fresh
    if args.seed >= 0:
        random.seed(args.seed)
        torch.manual_seed(args.seed)
        if use_cuda:
            torch.mlu.manual_seed_all(args.seed)
        cudnn.deterministic = True
        cudnn.benchmark = False
    else:
        cudnn.benchmark = True

    if use_cuda and args.gpu is not None:
        log(f'Using CUDA device {args.gpu}: {torch.mlu.get_device_name(args.gpu)}')

    if args.distributed:
        if args.multiprocessing_distributed:
            args.rank = args.rank * ngpus_per_node + gpu
        dist.init_process_group(backend=args.dist_backend, init_method=args.dist_url,
                                world_size=args.world_size, rank=args.rank)
    is_main = not args.distributed or args.rank == 0

    # TF32 on Ampere and newer GPUs: much faster convs/matmuls, fine for training.
    torch.backends.mlu.matmul.allow_tf32 = True
    torch.backends.cnnl.allow_tf32 = True

    model = tiny_resnet(num_classes=args.num_classes)

    if not use_cuda:
        device = torch.device('cpu')
        if args.distributed:
            model = torch.nn.parallel.DistributedDataParallel(model)
    elif args.distributed:
        if args.gpu is not None:
            torch.mlu.set_device(args.gpu)
            model.mlu(args.gpu)  # 将模型移动到 GPU 上
            # each process handles its share of the node's batch and workers
            args.batch_size = args.batch_size // ngpus_per_node
            args.workers = (args.workers + ngpus_per_node - 1) // ngpus_per_node
            model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.gpu])
        else:
            model.mlu()
            model = torch.nn.parallel.DistributedDataParallel(model)
        device = torch.device(f'mlu:{args.gpu}' if args.gpu is not None else 'mlu')
    elif args.gpu is not None:
        torch.mlu.set_device(args.gpu)
        model = model.mlu(args.gpu)  # 将模型移动到 GPU 上
        device = torch.device('mlu', args.gpu)
    else:
        # no GPU pinned: split each batch over all visible GPUs
        model = torch.nn.DataParallel(model).mlu()
        device = torch.device('mlu')

    if args.distributed and is_main and dist.get_backend() == 'cncl':
        log('NCCL version: {}'.format('.'.join(map(str, torch.mlu.cncl.version()))))

    criterion = nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.SGD(model.parameters(), args.lr, momentum=args.momentum,
                                weight_decay=args.weight_decay)
    # classic ImageNet schedule: divide the learning rate by 10 every 30 epochs
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    if args.amp and not use_cuda:
        warnings.warn('--amp needs a CUDA device, training in full precision')
    scaler = GradScaler('mlu', enabled=args.amp)

    start_epoch = 0
    if args.resume:
        if not os.path.isfile(args.resume):
            raise FileNotFoundError('no checkpoint found at {}'.format(args.resume))
        if use_cuda and args.gpu is not None:
            checkpoint = torch.load(args.resume, map_location='mlu:{}'.format(args.gpu))
        else:
            checkpoint = torch.load(args.resume, map_location='cpu')
        unwrap(model).load_state_dict(checkpoint['state_dict'])
        optimizer.load_state_dict(checkpoint['optimizer'])
        scheduler.load_state_dict(checkpoint['scheduler'])
        scaler.load_state_dict(checkpoint['scaler'])
        start_epoch = checkpoint['epoch']
        log('resumed from {} (epoch {})'.format(args.resume, start_epoch))
        del checkpoint
        if use_cuda:
            torch.mlu.empty_cache()

    train_dataset = SyntheticImageNet(args.train_samples, args.image_size, args.num_classes, seed=0)
    val_dataset = SyntheticImageNet(args.val_samples, args.image_size, args.num_classes, seed=1)
    train_sampler = DistributedSampler(train_dataset) if args.distributed else None
    # re-seeded every epoch so the batch order depends only on (seed, epoch),
    # which lets a resumed run see exactly the batches an uninterrupted one would
    shuffle_gen = torch.Generator()
    shuffle_gen.seed()  # non-deterministic unless --seed is given
    train_loader = DataLoader(train_dataset, batch_size=args.batch_size,
                              shuffle=train_sampler is None, sampler=train_sampler,
                              num_workers=args.workers, pin_memory=use_cuda,
                              drop_last=True, generator=shuffle_gen)
    val_loader = DataLoader(val_dataset, batch_size=args.batch_size, shuffle=False,
                            num_workers=args.workers, pin_memory=use_cuda)

    steps_per_epoch = len(train_loader)
    if args.steps_per_epoch is not None:
        steps_per_epoch = min(steps_per_epoch, args.steps_per_epoch)

    last_loss = float('nan')
    for epoch in range(start_epoch, args.epochs):
        if args.distributed:
            train_sampler.set_epoch(epoch)
        if args.seed >= 0:
            shuffle_gen.manual_seed(args.seed * 1000 + epoch)

        if use_cuda:
            start = torch.mlu.Event(enable_timing=True)
            end = torch.mlu.Event(enable_timing=True)
            start.record()
        wall = time.time()

        last_loss = train(train_loader, model, criterion, optimizer, scaler, epoch,
                          steps_per_epoch, device, use_cuda, is_main, args)
        scheduler.step()

        if use_cuda:
            end.record()
            torch.mlu.synchronize()
            log('epoch {} took {:.1f} ms on the GPU, peak memory {:.1f} MiB'.format(
                epoch, start.elapsed_time(end), torch.mlu.max_memory_allocated(device) / 2**20))
        else:
            log('epoch {} took {:.1f} ms'.format(epoch, (time.time() - wall) * 1000))

        acc = validate(val_loader, model, device, args)
        if is_main:
            log('epoch {} validation top-1 {:.2f}%'.format(epoch, acc))

        if args.checkpoint and is_main:
            torch.save({
                'epoch': epoch + 1,
                'state_dict': unwrap(model).state_dict(),
                'optimizer': optimizer.state_dict(),
                'scheduler': scheduler.state_dict(),
                'scaler': scaler.state_dict(),
            }, args.checkpoint)
            log('saved checkpoint to {}'.format(args.checkpoint))

    if is_main:
        print('done epochs {} final loss {:.10f}'.format(args.epochs, last_loss), flush=True)

    if args.distributed:
        dist.destroy_process_group()


def train(loader, model, criterion, optimizer, scaler, epoch, steps, device, use_cuda, is_main, args):
    """Run one epoch (at most ``steps`` batches); return the last loss."""
    model.train()
    losses, top1 = AverageMeter(), AverageMeter()
    loss_value = float('nan')
    end = time.time()
    for i, (images, target) in enumerate(loader):
        if i >= steps:
            break
        if use_cuda:
            # move the batch to the GPU; non_blocking overlaps the copy with compute
            images = images.mlu(args.gpu, non_blocking=True)
            target = target.mlu(args.gpu, non_blocking=True)
        else:
            images, target = images.to(device), target.to(device)

        with autocast('mlu', enabled=args.amp):
            output = model(images)
            loss = criterion(output, target)

        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

        loss_value = loss.item()
        losses.update(loss_value, images.size(0))
        top1.update(accuracy(output, target), images.size(0))
        if is_main:
            print('step {} loss {:.10f}'.format(epoch * steps + i + 1, loss_value), flush=True)
            if (i + 1) % args.print_freq == 0:
                log('Epoch [{}][{}/{}]  loss {:.4f}  top-1 {:.2f}%  lr {:.4g}  {:.3f}s/step'.format(
                    epoch, i + 1, steps, losses.avg, top1.avg,
                    optimizer.param_groups[0]['lr'], (time.time() - end) / (i + 1)))
    return loss_value


@torch.no_grad()
def validate(loader, model, device, args):
    model.eval()
    top1 = AverageMeter()
    for images, target in loader:
        images, target = images.to(device, non_blocking=True), target.to(device, non_blocking=True)
        with torch.amp.autocast('mlu', enabled=args.amp):
            output = model(images)
        top1.update(accuracy(output, target), images.size(0))
    return top1.avg


def accuracy(output, target):
    """Top-1 accuracy in percent."""
    return (output.argmax(dim=1) == target).float().mean().item() * 100.0


def unwrap(model):
    """Strip the DataParallel / DistributedDataParallel wrapper, if any."""
    return model.module if hasattr(model, 'module') else model


if __name__ == '__main__':
    main()
