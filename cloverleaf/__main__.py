from cloverleaf.cli import main

raise SystemExit(main())
