"""``python -m desktop_llm`` and the frozen app's entry point."""

import multiprocessing

if __name__ == "__main__":
    # First thing: in a frozen app, engine worker processes start through this entry point.
    multiprocessing.freeze_support()
    from desktop_llm.cli import main

    raise SystemExit(main())
