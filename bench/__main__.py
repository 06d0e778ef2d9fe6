"""`python -m bench` (or `make bench`): run every benchmark and print its table."""

from __future__ import annotations

from bench import issue


def main() -> None:
    print("## Issue and call-next over HTTP\n")
    print(issue.run(["sqlite", "postgres"], [0, 1_000_000], 10))


if __name__ == "__main__":
    main()
