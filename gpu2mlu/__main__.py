from gpu2mlu.cli import main

raise SystemExit(main())
