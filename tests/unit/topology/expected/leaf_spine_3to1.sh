ip netns add ls-server0
ip netns add ls-server1
ip netns add ls-server2
ip netns add ls-server3
ip netns add ls-server4
ip netns add ls-server5
ip netns add ls-server6
ip netns add ls-server7
ip netns add ls-server8
ip netns add ls-server9
ip netns add ls-server10
ip netns add ls-server11
ip netns add ls-leaf0
ip netns add ls-leaf1
ip netns add ls-spine0
ip netns add ls-spine1
ip netns add ls-mgmt
ip netns exec ls-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server3 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server4 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server5 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server6 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server7 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server8 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server9 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server10 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-server11 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-leaf1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ls-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n ls-server0 link add fab0 mtu 9000 type veth peer name server0 mtu 9000 netns ls-leaf0
ip -n ls-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns ls-mgmt
ip -n ls-server1 link add fab0 mtu 9000 type veth peer name server1 mtu 9000 netns ls-leaf0
ip -n ls-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns ls-mgmt
ip -n ls-server2 link add fab0 mtu 9000 type veth peer name server2 mtu 9000 netns ls-leaf0
ip -n ls-server2 link add mgmt0 mtu 1500 type veth peer name server2 mtu 1500 netns ls-mgmt
ip -n ls-server3 link add fab0 mtu 9000 type veth peer name server3 mtu 9000 netns ls-leaf0
ip -n ls-server3 link add mgmt0 mtu 1500 type veth peer name server3 mtu 1500 netns ls-mgmt
ip -n ls-server4 link add fab0 mtu 9000 type veth peer name server4 mtu 9000 netns ls-leaf0
ip -n ls-server4 link add mgmt0 mtu 1500 type veth peer name server4 mtu 1500 netns ls-mgmt
ip -n ls-server5 link add fab0 mtu 9000 type veth peer name server5 mtu 9000 netns ls-leaf0
ip -n ls-server5 link add mgmt0 mtu 1500 type veth peer name server5 mtu 1500 netns ls-mgmt
ip -n ls-server6 link add fab0 mtu 9000 type veth peer name server6 mtu 9000 netns ls-leaf1
ip -n ls-server6 link add mgmt0 mtu 1500 type veth peer name server6 mtu 1500 netns ls-mgmt
ip -n ls-server7 link add fab0 mtu 9000 type veth peer name server7 mtu 9000 netns ls-leaf1
ip -n ls-server7 link add mgmt0 mtu 1500 type veth peer name server7 mtu 1500 netns ls-mgmt
ip -n ls-server8 link add fab0 mtu 9000 type veth peer name server8 mtu 9000 netns ls-leaf1
ip -n ls-server8 link add mgmt0 mtu 1500 type veth peer name server8 mtu 1500 netns ls-mgmt
ip -n ls-server9 link add fab0 mtu 9000 type veth peer name server9 mtu 9000 netns ls-leaf1
ip -n ls-server9 link add mgmt0 mtu 1500 type veth peer name server9 mtu 1500 netns ls-mgmt
ip -n ls-server10 link add fab0 mtu 9000 type veth peer name server10 mtu 9000 netns ls-leaf1
ip -n ls-server10 link add mgmt0 mtu 1500 type veth peer name server10 mtu 1500 netns ls-mgmt
ip -n ls-server11 link add fab0 mtu 9000 type veth peer name server11 mtu 9000 netns ls-leaf1
ip -n ls-server11 link add mgmt0 mtu 1500 type veth peer name server11 mtu 1500 netns ls-mgmt
ip -n ls-leaf0 link add spine0 mtu 9000 type veth peer name leaf0 mtu 9000 netns ls-spine0
ip -n ls-leaf0 link add spine1 mtu 9000 type veth peer name leaf0 mtu 9000 netns ls-spine1
ip -n ls-leaf1 link add spine0 mtu 9000 type veth peer name leaf1 mtu 9000 netns ls-spine0
ip -n ls-leaf1 link add spine1 mtu 9000 type veth peer name leaf1 mtu 9000 netns ls-spine1
ip -n ls-mgmt link add mgmt mtu 1500 type bridge
ip -n ls-server0 link set lo alias aifabric-fabric:ls
ip -n ls-server0 link set lo up
ip -n ls-server0 link set fab0 up
ip -n ls-server0 link set mgmt0 up
ip -n ls-server0 addr add 10.20.0.5/31 dev fab0
ip -n ls-server0 addr add 192.168.50.10/24 dev mgmt0
ip -n ls-server0 route add 10.20.0.0/24 via 10.20.0.4 dev fab0
ip -n ls-server1 link set lo alias aifabric-fabric:ls
ip -n ls-server1 link set lo up
ip -n ls-server1 link set fab0 up
ip -n ls-server1 link set mgmt0 up
ip -n ls-server1 addr add 10.20.0.7/31 dev fab0
ip -n ls-server1 addr add 192.168.50.11/24 dev mgmt0
ip -n ls-server1 route add 10.20.0.0/24 via 10.20.0.6 dev fab0
ip -n ls-server2 link set lo alias aifabric-fabric:ls
ip -n ls-server2 link set lo up
ip -n ls-server2 link set fab0 up
ip -n ls-server2 link set mgmt0 up
ip -n ls-server2 addr add 10.20.0.9/31 dev fab0
ip -n ls-server2 addr add 192.168.50.12/24 dev mgmt0
ip -n ls-server2 route add 10.20.0.0/24 via 10.20.0.8 dev fab0
ip -n ls-server3 link set lo alias aifabric-fabric:ls
ip -n ls-server3 link set lo up
ip -n ls-server3 link set fab0 up
ip -n ls-server3 link set mgmt0 up
ip -n ls-server3 addr add 10.20.0.11/31 dev fab0
ip -n ls-server3 addr add 192.168.50.13/24 dev mgmt0
ip -n ls-server3 route add 10.20.0.0/24 via 10.20.0.10 dev fab0
ip -n ls-server4 link set lo alias aifabric-fabric:ls
ip -n ls-server4 link set lo up
ip -n ls-server4 link set fab0 up
ip -n ls-server4 link set mgmt0 up
ip -n ls-server4 addr add 10.20.0.13/31 dev fab0
ip -n ls-server4 addr add 192.168.50.14/24 dev mgmt0
ip -n ls-server4 route add 10.20.0.0/24 via 10.20.0.12 dev fab0
ip -n ls-server5 link set lo alias aifabric-fabric:ls
ip -n ls-server5 link set lo up
ip -n ls-server5 link set fab0 up
ip -n ls-server5 link set mgmt0 up
ip -n ls-server5 addr add 10.20.0.15/31 dev fab0
ip -n ls-server5 addr add 192.168.50.15/24 dev mgmt0
ip -n ls-server5 route add 10.20.0.0/24 via 10.20.0.14 dev fab0
ip -n ls-server6 link set lo alias aifabric-fabric:ls
ip -n ls-server6 link set lo up
ip -n ls-server6 link set fab0 up
ip -n ls-server6 link set mgmt0 up
ip -n ls-server6 addr add 10.20.0.21/31 dev fab0
ip -n ls-server6 addr add 192.168.50.16/24 dev mgmt0
ip -n ls-server6 route add 10.20.0.0/24 via 10.20.0.20 dev fab0
ip -n ls-server7 link set lo alias aifabric-fabric:ls
ip -n ls-server7 link set lo up
ip -n ls-server7 link set fab0 up
ip -n ls-server7 link set mgmt0 up
ip -n ls-server7 addr add 10.20.0.23/31 dev fab0
ip -n ls-server7 addr add 192.168.50.17/24 dev mgmt0
ip -n ls-server7 route add 10.20.0.0/24 via 10.20.0.22 dev fab0
ip -n ls-server8 link set lo alias aifabric-fabric:ls
ip -n ls-server8 link set lo up
ip -n ls-server8 link set fab0 up
ip -n ls-server8 link set mgmt0 up
ip -n ls-server8 addr add 10.20.0.25/31 dev fab0
ip -n ls-server8 addr add 192.168.50.18/24 dev mgmt0
ip -n ls-server8 route add 10.20.0.0/24 via 10.20.0.24 dev fab0
ip -n ls-server9 link set lo alias aifabric-fabric:ls
ip -n ls-server9 link set lo up
ip -n ls-server9 link set fab0 up
ip -n ls-server9 link set mgmt0 up
ip -n ls-server9 addr add 10.20.0.27/31 dev fab0
ip -n ls-server9 addr add 192.168.50.19/24 dev mgmt0
ip -n ls-server9 route add 10.20.0.0/24 via 10.20.0.26 dev fab0
ip -n ls-server10 link set lo alias aifabric-fabric:ls
ip -n ls-server10 link set lo up
ip -n ls-server10 link set fab0 up
ip -n ls-server10 link set mgmt0 up
ip -n ls-server10 addr add 10.20.0.29/31 dev fab0
ip -n ls-server10 addr add 192.168.50.20/24 dev mgmt0
ip -n ls-server10 route add 10.20.0.0/24 via 10.20.0.28 dev fab0
ip -n ls-server11 link set lo alias aifabric-fabric:ls
ip -n ls-server11 link set lo up
ip -n ls-server11 link set fab0 up
ip -n ls-server11 link set mgmt0 up
ip -n ls-server11 addr add 10.20.0.31/31 dev fab0
ip -n ls-server11 addr add 192.168.50.21/24 dev mgmt0
ip -n ls-server11 route add 10.20.0.0/24 via 10.20.0.30 dev fab0
ip -n ls-leaf0 link set lo alias aifabric-fabric:ls
ip -n ls-leaf0 link set lo up
ip -n ls-leaf0 link set server0 up
ip -n ls-leaf0 link set server1 up
ip -n ls-leaf0 link set server2 up
ip -n ls-leaf0 link set server3 up
ip -n ls-leaf0 link set server4 up
ip -n ls-leaf0 link set server5 up
ip -n ls-leaf0 link set spine0 up
ip -n ls-leaf0 link set spine1 up
ip -n ls-leaf0 addr add 10.20.0.1/31 dev spine0
ip -n ls-leaf0 addr add 10.20.0.3/31 dev spine1
ip -n ls-leaf0 addr add 10.20.0.4/31 dev server0
ip -n ls-leaf0 addr add 10.20.0.6/31 dev server1
ip -n ls-leaf0 addr add 10.20.0.8/31 dev server2
ip -n ls-leaf0 addr add 10.20.0.10/31 dev server3
ip -n ls-leaf0 addr add 10.20.0.12/31 dev server4
ip -n ls-leaf0 addr add 10.20.0.14/31 dev server5
ip -n ls-leaf0 route add 10.20.0.0/24 nexthop via 10.20.0.0 dev spine0 nexthop via 10.20.0.2 dev spine1
ip -n ls-leaf1 link set lo alias aifabric-fabric:ls
ip -n ls-leaf1 link set lo up
ip -n ls-leaf1 link set server6 up
ip -n ls-leaf1 link set server7 up
ip -n ls-leaf1 link set server8 up
ip -n ls-leaf1 link set server9 up
ip -n ls-leaf1 link set server10 up
ip -n ls-leaf1 link set server11 up
ip -n ls-leaf1 link set spine0 up
ip -n ls-leaf1 link set spine1 up
ip -n ls-leaf1 addr add 10.20.0.17/31 dev spine0
ip -n ls-leaf1 addr add 10.20.0.19/31 dev spine1
ip -n ls-leaf1 addr add 10.20.0.20/31 dev server6
ip -n ls-leaf1 addr add 10.20.0.22/31 dev server7
ip -n ls-leaf1 addr add 10.20.0.24/31 dev server8
ip -n ls-leaf1 addr add 10.20.0.26/31 dev server9
ip -n ls-leaf1 addr add 10.20.0.28/31 dev server10
ip -n ls-leaf1 addr add 10.20.0.30/31 dev server11
ip -n ls-leaf1 route add 10.20.0.0/24 nexthop via 10.20.0.16 dev spine0 nexthop via 10.20.0.18 dev spine1
ip -n ls-spine0 link set lo alias aifabric-fabric:ls
ip -n ls-spine0 link set lo up
ip -n ls-spine0 link set leaf0 up
ip -n ls-spine0 link set leaf1 up
ip -n ls-spine0 addr add 10.20.0.0/31 dev leaf0
ip -n ls-spine0 addr add 10.20.0.16/31 dev leaf1
ip -n ls-spine0 route add 10.20.0.0/28 via 10.20.0.1 dev leaf0
ip -n ls-spine0 route add 10.20.0.16/28 via 10.20.0.17 dev leaf1
ip -n ls-spine1 link set lo alias aifabric-fabric:ls
ip -n ls-spine1 link set lo up
ip -n ls-spine1 link set leaf0 up
ip -n ls-spine1 link set leaf1 up
ip -n ls-spine1 addr add 10.20.0.2/31 dev leaf0
ip -n ls-spine1 addr add 10.20.0.18/31 dev leaf1
ip -n ls-spine1 route add 10.20.0.0/28 via 10.20.0.3 dev leaf0
ip -n ls-spine1 route add 10.20.0.16/28 via 10.20.0.19 dev leaf1
ip -n ls-mgmt link set lo alias aifabric-fabric:ls
ip -n ls-mgmt link set server0 master mgmt
ip -n ls-mgmt link set server1 master mgmt
ip -n ls-mgmt link set server10 master mgmt
ip -n ls-mgmt link set server11 master mgmt
ip -n ls-mgmt link set server2 master mgmt
ip -n ls-mgmt link set server3 master mgmt
ip -n ls-mgmt link set server4 master mgmt
ip -n ls-mgmt link set server5 master mgmt
ip -n ls-mgmt link set server6 master mgmt
ip -n ls-mgmt link set server7 master mgmt
ip -n ls-mgmt link set server8 master mgmt
ip -n ls-mgmt link set server9 master mgmt
ip -n ls-mgmt link set lo up
ip -n ls-mgmt link set server0 up
ip -n ls-mgmt link set server1 up
ip -n ls-mgmt link set server2 up
ip -n ls-mgmt link set server3 up
ip -n ls-mgmt link set server4 up
ip -n ls-mgmt link set server5 up
ip -n ls-mgmt link set server6 up
ip -n ls-mgmt link set server7 up
ip -n ls-mgmt link set server8 up
ip -n ls-mgmt link set server9 up
ip -n ls-mgmt link set server10 up
ip -n ls-mgmt link set server11 up
ip -n ls-mgmt link set mgmt up
tc -n ls-leaf0 qdisc add dev spine0 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev spine1 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev server0 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev server1 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev server2 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev server3 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev server4 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev server5 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf0 qdisc add dev spine0 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-leaf0 qdisc add dev spine1 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-leaf1 qdisc add dev spine0 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev spine1 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev server6 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev server7 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev server8 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev server9 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev server10 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev server11 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-leaf1 qdisc add dev spine0 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-leaf1 qdisc add dev spine1 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-spine0 qdisc add dev leaf0 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-spine0 qdisc add dev leaf1 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-spine0 qdisc add dev leaf0 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-spine0 qdisc add dev leaf1 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-spine1 qdisc add dev leaf0 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-spine1 qdisc add dev leaf1 root handle 1: tbf rate 1gbit burst 125000 limit 2625000
tc -n ls-spine1 qdisc add dev leaf0 parent 1:1 handle 10: netem delay 2us limit 1000
tc -n ls-spine1 qdisc add dev leaf1 parent 1:1 handle 10: netem delay 2us limit 1000
