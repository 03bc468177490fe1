ip netns add v3-server0
ip netns add v3-server1
ip netns add v3-rail0
ip netns add v3-rail1
ip netns add v3-spine0
ip netns add v3-spine1
ip netns add v3-mgmt
ip netns exec v3-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v3-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v3-rail0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v3-rail1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v3-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v3-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec v3-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n v3-server0 link add rail0 mtu 9000 type veth peer name server0 mtu 9000 netns v3-rail0
ip -n v3-server0 link add rail1 mtu 9000 type veth peer name server0 mtu 9000 netns v3-rail1
ip -n v3-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns v3-mgmt
ip -n v3-server1 link add rail0 mtu 9000 type veth peer name server1 mtu 9000 netns v3-rail0
ip -n v3-server1 link add rail1 mtu 9000 type veth peer name server1 mtu 9000 netns v3-rail1
ip -n v3-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns v3-mgmt
ip -n v3-rail0 link add spine0 mtu 9000 type veth peer name rail0 mtu 9000 netns v3-spine0
ip -n v3-rail0 link add spine1 mtu 9000 type veth peer name rail0 mtu 9000 netns v3-spine1
ip -n v3-rail1 link add spine0 mtu 9000 type veth peer name rail1 mtu 9000 netns v3-spine0
ip -n v3-rail1 link add spine1 mtu 9000 type veth peer name rail1 mtu 9000 netns v3-spine1
ip -n v3-mgmt link add mgmt mtu 1500 type bridge
ip -n v3-server0 link add link rail0 name rail0.200 mtu 9000 type vlan id 200
ip -n v3-server0 link add link rail1 name rail1.201 mtu 9000 type vlan id 201
ip -n v3-server0 link set lo alias aifabric-fabric:v3
ip -n v3-server0 link set lo up
ip -n v3-server0 link set rail0 up
ip -n v3-server0 link set rail1 up
ip -n v3-server0 link set mgmt0 up
ip -n v3-server0 link set rail0.200 up
ip -n v3-server0 link set rail1.201 up
ip -n v3-server0 addr add 10.0.0.5/31 dev rail0.200
ip -n v3-server0 addr add 10.0.0.13/31 dev rail1.201
ip -n v3-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n v3-server0 route add 10.0.0.0/29 via 10.0.0.4 dev rail0.200
ip -n v3-server0 route add 10.0.0.8/29 via 10.0.0.12 dev rail1.201
ip -n v3-server0 route add 10.0.0.0/16 nexthop via 10.0.0.4 dev rail0.200 nexthop via 10.0.0.12 dev rail1.201
ip -n v3-server1 link add link rail0 name rail0.200 mtu 9000 type vlan id 200
ip -n v3-server1 link add link rail1 name rail1.201 mtu 9000 type vlan id 201
ip -n v3-server1 link set lo alias aifabric-fabric:v3
ip -n v3-server1 link set lo up
ip -n v3-server1 link set rail0 up
ip -n v3-server1 link set rail1 up
ip -n v3-server1 link set mgmt0 up
ip -n v3-server1 link set rail0.200 up
ip -n v3-server1 link set rail1.201 up
ip -n v3-server1 addr add 10.0.0.7/31 dev rail0.200
ip -n v3-server1 addr add 10.0.0.15/31 dev rail1.201
ip -n v3-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n v3-server1 route add 10.0.0.0/29 via 10.0.0.6 dev rail0.200
ip -n v3-server1 route add 10.0.0.8/29 via 10.0.0.14 dev rail1.201
ip -n v3-server1 route add 10.0.0.0/16 nexthop via 10.0.0.6 dev rail0.200 nexthop via 10.0.0.14 dev rail1.201
ip -n v3-rail0 link add link server0 name server0.200 mtu 9000 type vlan id 200
ip -n v3-rail0 link add link server1 name server1.200 mtu 9000 type vlan id 200
ip -n v3-rail0 link set lo alias aifabric-fabric:v3
ip -n v3-rail0 link set lo up
ip -n v3-rail0 link set server0 up
ip -n v3-rail0 link set server1 up
ip -n v3-rail0 link set spine0 up
ip -n v3-rail0 link set spine1 up
ip -n v3-rail0 link set server0.200 up
ip -n v3-rail0 link set server1.200 up
ip -n v3-rail0 addr add 10.0.0.1/31 dev spine0
ip -n v3-rail0 addr add 10.0.0.3/31 dev spine1
ip -n v3-rail0 addr add 10.0.0.4/31 dev server0.200
ip -n v3-rail0 addr add 10.0.0.6/31 dev server1.200
ip -n v3-rail0 route add 10.0.0.0/16 nexthop via 10.0.0.0 dev spine0 nexthop via 10.0.0.2 dev spine1
ip -n v3-rail1 link add link server0 name server0.201 mtu 9000 type vlan id 201
ip -n v3-rail1 link add link server1 name server1.201 mtu 9000 type vlan id 201
ip -n v3-rail1 link set lo alias aifabric-fabric:v3
ip -n v3-rail1 link set lo up
ip -n v3-rail1 link set server0 up
ip -n v3-rail1 link set server1 up
ip -n v3-rail1 link set spine0 up
ip -n v3-rail1 link set spine1 up
ip -n v3-rail1 link set server0.201 up
ip -n v3-rail1 link set server1.201 up
ip -n v3-rail1 addr add 10.0.0.9/31 dev spine0
ip -n v3-rail1 addr add 10.0.0.11/31 dev spine1
ip -n v3-rail1 addr add 10.0.0.12/31 dev server0.201
ip -n v3-rail1 addr add 10.0.0.14/31 dev server1.201
ip -n v3-rail1 route add 10.0.0.0/16 nexthop via 10.0.0.8 dev spine0 nexthop via 10.0.0.10 dev spine1
ip -n v3-spine0 link set lo alias aifabric-fabric:v3
ip -n v3-spine0 link set lo up
ip -n v3-spine0 link set rail0 up
ip -n v3-spine0 link set rail1 up
ip -n v3-spine0 addr add 10.0.0.0/31 dev rail0
ip -n v3-spine0 addr add 10.0.0.8/31 dev rail1
ip -n v3-spine0 route add 10.0.0.0/29 via 10.0.0.1 dev rail0
ip -n v3-spine0 route add 10.0.0.8/29 via 10.0.0.9 dev rail1
ip -n v3-spine1 link set lo alias aifabric-fabric:v3
ip -n v3-spine1 link set lo up
ip -n v3-spine1 link set rail0 up
ip -n v3-spine1 link set rail1 up
ip -n v3-spine1 addr add 10.0.0.2/31 dev rail0
ip -n v3-spine1 addr add 10.0.0.10/31 dev rail1
ip -n v3-spine1 route add 10.0.0.0/29 via 10.0.0.3 dev rail0
ip -n v3-spine1 route add 10.0.0.8/29 via 10.0.0.11 dev rail1
ip -n v3-mgmt link set lo alias aifabric-fabric:v3
ip -n v3-mgmt link set server0 master mgmt
ip -n v3-mgmt link set server1 master mgmt
ip -n v3-mgmt link set lo up
ip -n v3-mgmt link set server0 up
ip -n v3-mgmt link set server1 up
ip -n v3-mgmt link set mgmt up
tc -n v3-server0 qdisc add dev rail0 root handle 10: netem delay 1ms limit 1668
tc -n v3-server0 qdisc add dev rail1 root handle 10: netem delay 1ms limit 1668
tc -n v3-server1 qdisc add dev rail0 root handle 10: netem delay 1ms limit 1668
tc -n v3-server1 qdisc add dev rail1 root handle 10: netem delay 1ms limit 1668
tc -n v3-rail0 qdisc add dev spine0 root handle 1: htb default 1
tc -n v3-rail0 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-rail0 qdisc add dev spine1 root handle 1: htb default 1
tc -n v3-rail0 class add dev spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-rail0 qdisc add dev server0 root handle 1: htb default 1
tc -n v3-rail0 class add dev server0 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit burst 1250000 cburst 1250000 quantum 200000
tc -n v3-rail0 qdisc add dev server1 root handle 1: htb default 1
tc -n v3-rail0 class add dev server1 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit burst 1250000 cburst 1250000 quantum 200000
tc -n v3-rail0 qdisc add dev server0 parent 1:1 handle 10: netem delay 1ms limit 1668
tc -n v3-rail0 qdisc add dev server1 parent 1:1 handle 10: netem delay 1ms limit 1668
tc -n v3-rail1 qdisc add dev spine0 root handle 1: htb default 1
tc -n v3-rail1 class add dev spine0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-rail1 qdisc add dev spine1 root handle 1: htb default 1
tc -n v3-rail1 class add dev spine1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-rail1 qdisc add dev server0 root handle 1: htb default 1
tc -n v3-rail1 class add dev server0 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit burst 1250000 cburst 1250000 quantum 200000
tc -n v3-rail1 qdisc add dev server1 root handle 1: htb default 1
tc -n v3-rail1 class add dev server1 parent 1: classid 1:1 htb rate 10gbit ceil 10gbit burst 1250000 cburst 1250000 quantum 200000
tc -n v3-rail1 qdisc add dev server0 parent 1:1 handle 10: netem delay 1ms limit 1668
tc -n v3-rail1 qdisc add dev server1 parent 1:1 handle 10: netem delay 1ms limit 1668
tc -n v3-spine0 qdisc add dev rail0 root handle 1: htb default 1
tc -n v3-spine0 class add dev rail0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-spine0 qdisc add dev rail1 root handle 1: htb default 1
tc -n v3-spine0 class add dev rail1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-spine1 qdisc add dev rail0 root handle 1: htb default 1
tc -n v3-spine1 class add dev rail0 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
tc -n v3-spine1 qdisc add dev rail1 root handle 1: htb default 1
tc -n v3-spine1 class add dev rail1 parent 1: classid 1:1 htb rate 1gbit ceil 1gbit burst 125000 cburst 125000 quantum 200000
