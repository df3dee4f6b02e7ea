"""python -m bot backup | restore: online backups of the ledger, and putting one back."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import DATABASE_OPTION, load_config


@click.command()
@click.argument("destination", type=click.Path(path_type=Path))
@DATABASE_OPTION
def backup(destination, database_path):
    """Back up the ledger to DESTINATION (a file, or a folder that gets ledger-<time>.db) while the bot runs.

    Uses SQLite's online backup, so the copy is consistent even while the bot writes (copying the
    file with cp is not: recent rows are in the -wal file). Example:

        python -m bot backup /srv/backups/
    """
    from bot.records.backup import BackupError, backup_ledger

    config = load_config(database_path=database_path)
    try:
        path = backup_ledger(config.database_path, destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {config.database_path} to {path}.")


@click.command()
@click.argument("backup_file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@DATABASE_OPTION
def restore(backup_file, yes, database_path):
    """Replace the ledger with BACKUP_FILE (made by `backup`). Stop the bot first.

    Checks the backup, refuses while a bot holds the ledger, and keeps the case-number file beside
    the ledger, so numbers issued after the backup are never issued again. Example:

        python -m bot restore /srv/backups/ledger-20261201T020000000000Z.db
    """
    from bot.records.backup import BackupError, check_backup, live_lease, restore_ledger
    from bot.records.lease import describe

    config = load_config(database_path=database_path)
    target = Path(config.database_path)
    try:
        cases = check_backup(backup_file)
        holder = live_lease(target)
        if holder is not None:
            raise click.ClickException(f"A bot is using {target} ({describe(holder)}); stop it first, then restore.")
        if not yes:
            click.confirm(f"Replace {target} with {backup_file} ({cases} case(s))? What the ledger recorded after "
                          "the backup is lost.", abort=True)
        restore_ledger(backup_file, target, check=False)  # checked above
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {target} from {backup_file} ({cases} case(s)). Start the bot again.")


COMMANDS = (backup, restore)
