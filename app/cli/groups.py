"""The typer apps that command modules attach to."""

import typer

root = typer.Typer(help="Redline: fine-grained RLHF from minimal edits.", no_args_is_help=True)
train_app = typer.Typer(help="Train reward models and policies.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate reward models and policies.", no_args_is_help=True)
jobs_app = typer.Typer(help="Training jobs on GPU workers.", no_args_is_help=True)
root.add_typer(train_app, name="train")
root.add_typer(eval_app, name="eval")
root.add_typer(jobs_app, name="jobs")
