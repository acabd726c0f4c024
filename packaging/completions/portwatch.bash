# bash completion for portwatch(1): subcommands, their options, and files where a file is due.
_portwatch() {
    local cur prev words cword
    _init_completion || return

    case $prev in
        -C | --directory)
            _filedir -d
            return
            ;;
        -c | --config)
            _filedir '@(yaml|yml)'
            return
            ;;
        -l | --list)
            _filedir lst
            return
            ;;
        -s | --state)
            _filedir json
            return
            ;;
        --log-level)
            COMPREPLY=($(compgen -W 'debug info warn error' -- "$cur"))
            return
            ;;
        --log-format)
            COMPREPLY=($(compgen -W 'text journal json' -- "$cur"))
            return
            ;;
        --notify-cmd)
            COMPREPLY=($(compgen -c -- "$cur"))
            return
            ;;
        -t | --timeout | -j | --concurrency | --notify-timeout | --notify-concurrency | \
            --max-age | --lock-timeout | --down-template | --up-template)
            return
            ;;
    esac

    local sub="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            check | validate | run | notify-test | help)
                sub=${words[i]}
                break
                ;;
            -C | --directory) ((i++)) ;;
        esac
    done

    local opts
    case $sub in
        check)
            opts='-c --config -l --list -s --state -t --timeout -j --concurrency --notify-cmd
                  --notify-timeout --notify-concurrency --max-age --notify-first-up
                  --down-template --up-template --lock-timeout -n --dry-run --json -q --quiet
                  -h --help'
            ;;
        validate) opts='-l --list -c --config -h --help' ;;
        run) opts='-c --config --log-level --log-format -h --help' ;;
        notify-test) opts='-c --config -h --help' ;;
        help) opts='check validate run notify-test' ;;
        *)
            if [[ $cur == -* ]]; then
                opts='-C --directory -h --help --help-all --version'
            else
                opts='check validate run notify-test help'
            fi
            ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
} &&
    complete -F _portwatch portwatch
