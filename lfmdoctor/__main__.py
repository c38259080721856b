from lfmdoctor.cli import main

main()
