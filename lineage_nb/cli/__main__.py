from lineage_nb.cli.main import main

raise SystemExit(main())
