from jcstar_agent.cli import main

raise SystemExit(main())
