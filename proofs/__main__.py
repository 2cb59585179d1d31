from proofs.cli import main

raise SystemExit(main())
