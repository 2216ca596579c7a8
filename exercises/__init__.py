"""Exercises that check themselves: `just learn` (python -m exercises).

Each exercise is a folder under exercises/tracks/<track>/<NN>-<name>/ with its task (README.md),
its checker spec (exercise.toml), the starter files the learner edits and the reference solution
under solution/. The runner copies the starter files into a git-ignored workspace,
warehouse/learn/work/<id>/, builds a small seeded dataset once (exercises.dataset), checks the
workspace by comparing its results with the reference solution's (exercises.checkers) and keeps
the learner's progress in warehouse/learn/progress.json. docs/learn.md says more.
"""
