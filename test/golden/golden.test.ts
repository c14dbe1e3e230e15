// Runs every golden case under {1, 4 partitions} x {small, large batches} x {direct, JSON round-tripped plan}.
import { Quiver } from '../../core/index.ts';
import { goldenSuite } from './suite.ts';

const CONFIGS = [
  { partitions: 1, batchSize: 65_536, roundTrip: false },
  { partitions: 4, batchSize: 2, roundTrip: false },
  { partitions: 4, batchSize: 65_536, roundTrip: true },
  { partitions: 1, batchSize: 2, roundTrip: true },
];

for (const cfg of CONFIGS) {
  goldenSuite(`golden, ${cfg.partitions} partition(s), batch ${cfg.batchSize}${cfg.roundTrip ? ', plan via JSON' : ''}`, cfg,
    (c) => Quiver.local({ workers: 2, batchSize: c.batchSize, shufflePartitions: c.partitions }));
}
