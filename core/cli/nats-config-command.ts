// `quiver nats-config`: writes a nats-server authorization block giving each driver and executor its own user, confined to its role's subjects.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { natsUsersConfig } from '../cluster/nats-config.ts';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

export function addNatsConfigCommand(p: Command): void {
  p.command('nats-config')
    .description('write a nats-server authorization block with least-privilege users: drivers send tasks; each executor takes only its own tasks and publishes only its own results, heartbeats and blocks')
    .requiredOption('--executors <names>', 'executor names, comma separated (start each with --name NAME --user NAME --password ...)', list)
    .option('--drivers <names>', 'driver user names, comma separated', list, ['driver'])
    .option('--cluster <name>', 'cluster name: the subject prefix quiver.<name>.', 'default')
    .option('--out <file>', 'write the block to this file (mode 0600) instead of standard output')
    .option('--passwords <file>', 'write the passwords as JSON { user: password } to this file (mode 0600) instead of standard error')
    .addHelpText('after', '\nInclude the block in nats-server.conf (include ./quiver-auth.conf), then:\n  quiver executor --servers nats://HOST:4222 --name e1 --user e1 --password ... --paths /data\n  Quiver.connect({ servers, user: \'driver\', pass: \'...\' })')
    .action((o: { executors: string[]; drivers: string[]; cluster: string; out?: string; passwords?: string }) => {
      const { config, passwords } = natsUsersConfig(o.cluster, o.drivers, o.executors);
      if (o.out) writeFileSync(o.out, config, { mode: 0o600 });
      else process.stdout.write(config);
      const secrets = `${JSON.stringify(passwords, null, 2)}\n`;
      if (o.passwords) writeFileSync(o.passwords, secrets, { mode: 0o600 });
      else process.stderr.write(`passwords (give each process only its own):\n${secrets}`);
    });
}
