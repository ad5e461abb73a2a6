from opslake.cli import main

main()
