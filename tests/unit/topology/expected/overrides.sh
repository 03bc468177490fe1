ip netns add ov-server0
ip netns add ov-server1
ip netns add ov-server2
ip netns add ov-server3
ip netns add ov-leaf0
ip netns add ov-leaf1
ip netns add ov-spine0
ip netns add ov-spine1
ip netns add ov-mgmt
ip netns exec ov-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-server3 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-leaf0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-leaf1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec ov-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n ov-server0 link add fab0 mtu 9000 type veth peer name server0 mtu 9000 netns ov-leaf0
ip -n ov-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns ov-mgmt
ip -n ov-server1 link add fab0 mtu 9000 type veth peer name server1 mtu 9000 netns ov-leaf0
ip -n ov-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns ov-mgmt
ip -n ov-server2 link add fab0 mtu 9000 type veth peer name server2 mtu 9000 netns ov-leaf1
ip -n ov-server2 link add mgmt0 mtu 1500 type veth peer name server2 mtu 1500 netns ov-mgmt
ip -n ov-server3 link add fab0 mtu 9000 type veth peer name server3 mtu 9000 netns ov-leaf1
ip -n ov-server3 link add mgmt0 mtu 1500 type veth peer name server3 mtu 1500 netns ov-mgmt
ip -n ov-leaf0 link add spine0 mtu 9000 type veth peer name leaf0 mtu 9000 netns ov-spine0
ip -n ov-leaf0 link add spine1 mtu 1500 type veth peer name leaf0 mtu 1500 netns ov-spine1
ip -n ov-leaf1 link add spine0 mtu 9000 type veth peer name leaf1 mtu 9000 netns ov-spine0
ip -n ov-leaf1 link add spine1 mtu 9000 type veth peer name leaf1 mtu 9000 netns ov-spine1
ip -n ov-mgmt link add mgmt mtu 1500 type bridge
ip -n ov-server0 link set lo alias aifabric-fabric:ov
ip -n ov-server0 link set lo up
ip -n ov-server0 link set fab0 up
ip -n ov-server0 link set mgmt0 up
ip -n ov-server0 addr add 10.0.0.5/31 dev fab0
ip -n ov-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n ov-server0 route add 10.0.0.0/16 via 10.0.0.4 dev fab0
ip -n ov-server1 link set lo alias aifabric-fabric:ov
ip -n ov-server1 link set lo up
ip -n ov-server1 link set fab0 up
ip -n ov-server1 link set mgmt0 up
ip -n ov-server1 addr add 10.0.0.7/31 dev fab0
ip -n ov-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n ov-server1 route add 10.0.0.0/16 via 10.0.0.6 dev fab0
ip -n ov-server2 link set lo alias aifabric-fabric:ov
ip -n ov-server2 link set lo up
ip -n ov-server2 link set fab0 up
ip -n ov-server2 link set mgmt0 up
ip -n ov-server2 addr add 10.0.0.13/31 dev fab0
ip -n ov-server2 addr add 172.31.0.12/16 dev mgmt0
ip -n ov-server2 route add 10.0.0.0/16 via 10.0.0.12 dev fab0
ip -n ov-server3 link set lo alias aifabric-fabric:ov
ip -n ov-server3 link set lo up
ip -n ov-server3 link set fab0 up
ip -n ov-server3 link set mgmt0 up
ip -n ov-server3 addr add 10.0.0.15/31 dev fab0
ip -n ov-server3 addr add 172.31.0.13/16 dev mgmt0
ip -n ov-server3 route add 10.0.0.0/16 via 10.0.0.14 dev fab0
ip -n ov-leaf0 link set lo alias aifabric-fabric:ov
ip -n ov-leaf0 link set lo up
ip -n ov-leaf0 link set server0 up
ip -n ov-leaf0 link set server1 up
ip -n ov-leaf0 link set spine0 up
ip -n ov-leaf0 link set spine1 up
ip -n ov-leaf0 addr add 10.0.0.1/31 dev spine0
ip -n ov-leaf0 addr add 10.0.0.3/31 dev spine1
ip -n ov-leaf0 addr add 10.0.0.4/31 dev server0
ip -n ov-leaf0 addr add 10.0.0.6/31 dev server1
ip -n ov-leaf0 route add 10.0.0.0/16 nexthop via 10.0.0.0 dev spine0 nexthop via 10.0.0.2 dev spine1
ip -n ov-leaf1 link set lo alias aifabric-fabric:ov
ip -n ov-leaf1 link set lo up
ip -n ov-leaf1 link set server2 up
ip -n ov-leaf1 link set server3 up
ip -n ov-leaf1 link set spine0 up
ip -n ov-leaf1 link set spine1 up
ip -n ov-leaf1 addr add 10.0.0.9/31 dev spine0
ip -n ov-leaf1 addr add 10.0.0.11/31 dev spine1
ip -n ov-leaf1 addr add 10.0.0.12/31 dev server2
ip -n ov-leaf1 addr add 10.0.0.14/31 dev server3
ip -n ov-leaf1 route add 10.0.0.0/16 nexthop via 10.0.0.8 dev spine0 nexthop via 10.0.0.10 dev spine1
ip -n ov-spine0 link set lo alias aifabric-fabric:ov
ip -n ov-spine0 link set lo up
ip -n ov-spine0 link set leaf0 up
ip -n ov-spine0 link set leaf1 up
ip -n ov-spine0 addr add 10.0.0.0/31 dev leaf0
ip -n ov-spine0 addr add 10.0.0.8/31 dev leaf1
ip -n ov-spine0 route add 10.0.0.0/29 via 10.0.0.1 dev leaf0
ip -n ov-spine0 route add 10.0.0.8/29 via 10.0.0.9 dev leaf1
ip -n ov-spine1 link set lo alias aifabric-fabric:ov
ip -n ov-spine1 link set lo up
ip -n ov-spine1 link set leaf0 up
ip -n ov-spine1 link set leaf1 up
ip -n ov-spine1 addr add 10.0.0.2/31 dev leaf0
ip -n ov-spine1 addr add 10.0.0.10/31 dev leaf1
ip -n ov-spine1 route add 10.0.0.0/29 via 10.0.0.3 dev leaf0
ip -n ov-spine1 route add 10.0.0.8/29 via 10.0.0.11 dev leaf1
ip -n ov-mgmt link set lo alias aifabric-fabric:ov
ip -n ov-mgmt link set server0 master mgmt
ip -n ov-mgmt link set server1 master mgmt
ip -n ov-mgmt link set server2 master mgmt
ip -n ov-mgmt link set server3 master mgmt
ip -n ov-mgmt link set lo up
ip -n ov-mgmt link set server0 up
ip -n ov-mgmt link set server1 up
ip -n ov-mgmt link set server2 up
ip -n ov-mgmt link set server3 up
ip -n ov-mgmt link set mgmt up
tc -n ov-server3 qdisc add dev fab0 root handle 10: netem delay 500us limit 1000
tc -n ov-leaf0 qdisc add dev spine0 root handle 1: htb default 1
tc -n ov-leaf0 class add dev spine0 parent 1: classid 1:1 htb rate 2gbit ceil 2gbit burst 250000 cburst 250000 quantum 200000
tc -n ov-leaf0 qdisc add dev spine1 root handle 1: htb default 1
tc -n ov-leaf0 class add dev spine1 parent 1: classid 1:1 htb rate 500mbit ceil 500mbit burst 62500 cburst 62500 quantum 200000
tc -n ov-leaf0 qdisc add dev server0 root handle 1: htb default 1
tc -n ov-leaf0 class add dev server0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n ov-leaf0 qdisc add dev server1 root handle 1: htb default 1
tc -n ov-leaf0 class add dev server1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n ov-leaf1 qdisc add dev spine0 root handle 1: htb default 1
tc -n ov-leaf1 class add dev spine0 parent 1: classid 1:1 htb rate 2gbit ceil 2gbit burst 250000 cburst 250000 quantum 200000
tc -n ov-leaf1 qdisc add dev spine1 root handle 1: htb default 1
tc -n ov-leaf1 class add dev spine1 parent 1: classid 1:1 htb rate 2gbit ceil 2gbit burst 250000 cburst 250000 quantum 200000
tc -n ov-leaf1 qdisc add dev server2 root handle 1: htb default 1
tc -n ov-leaf1 class add dev server2 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n ov-leaf1 qdisc add dev server3 root handle 1: htb default 1
tc -n ov-leaf1 class add dev server3 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n ov-leaf1 qdisc add dev server3 parent 1:1 handle 10: netem delay 500us limit 1000
tc -n ov-spine0 qdisc add dev leaf0 root handle 1: htb default 1
tc -n ov-spine0 class add dev leaf0 parent 1: classid 1:1 htb rate 2gbit ceil 2gbit burst 250000 cburst 250000 quantum 200000
tc -n ov-spine0 qdisc add dev leaf1 root handle 1: htb default 1
tc -n ov-spine0 class add dev leaf1 parent 1: classid 1:1 htb rate 2gbit ceil 2gbit burst 250000 cburst 250000 quantum 200000
tc -n ov-spine1 qdisc add dev leaf0 root handle 1: htb default 1
tc -n ov-spine1 class add dev leaf0 parent 1: classid 1:1 htb rate 500mbit ceil 500mbit burst 62500 cburst 62500 quantum 200000
tc -n ov-spine1 qdisc add dev leaf1 root handle 1: htb default 1
tc -n ov-spine1 class add dev leaf1 parent 1: classid 1:1 htb rate 2gbit ceil 2gbit burst 250000 cburst 250000 quantum 200000
