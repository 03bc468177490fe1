ip netns add f1-server0
ip netns add f1-server1
ip netns add f1-server2
ip netns add f1-server3
ip netns add f1-rail0
ip netns add f1-rail1
ip netns add f1-spine0
ip netns add f1-spine1
ip netns add f1-mgmt
ip netns exec f1-server0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-server1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-server2 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-server3 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-rail0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-rail1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-spine0 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-spine1 sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.fib_multipath_hash_policy=1 net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec f1-mgmt sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n f1-server0 link add rail0 mtu 9000 type veth peer name server0 mtu 9000 netns f1-rail0
ip -n f1-server0 link add rail1 mtu 9000 type veth peer name server0 mtu 9000 netns f1-rail1
ip -n f1-server0 link add mgmt0 mtu 1500 type veth peer name server0 mtu 1500 netns f1-mgmt
ip -n f1-server1 link add rail0 mtu 9000 type veth peer name server1 mtu 9000 netns f1-rail0
ip -n f1-server1 link add rail1 mtu 9000 type veth peer name server1 mtu 9000 netns f1-rail1
ip -n f1-server1 link add mgmt0 mtu 1500 type veth peer name server1 mtu 1500 netns f1-mgmt
ip -n f1-server2 link add rail0 mtu 9000 type veth peer name server2 mtu 9000 netns f1-rail0
ip -n f1-server2 link add rail1 mtu 9000 type veth peer name server2 mtu 9000 netns f1-rail1
ip -n f1-server2 link add mgmt0 mtu 1500 type veth peer name server2 mtu 1500 netns f1-mgmt
ip -n f1-server3 link add rail0 mtu 9000 type veth peer name server3 mtu 9000 netns f1-rail0
ip -n f1-server3 link add rail1 mtu 9000 type veth peer name server3 mtu 9000 netns f1-rail1
ip -n f1-server3 link add mgmt0 mtu 1500 type veth peer name server3 mtu 1500 netns f1-mgmt
ip -n f1-rail0 link add br0 mtu 9000 type bridge
ip -n f1-rail0 link add spine0 mtu 9000 type veth peer name rail0 mtu 9000 netns f1-spine0
ip -n f1-rail0 link add spine1 mtu 9000 type veth peer name rail0 mtu 9000 netns f1-spine1
ip -n f1-rail1 link add br0 mtu 9000 type bridge
ip -n f1-rail1 link add spine0 mtu 9000 type veth peer name rail1 mtu 9000 netns f1-spine0
ip -n f1-rail1 link add spine1 mtu 9000 type veth peer name rail1 mtu 9000 netns f1-spine1
ip -n f1-mgmt link add mgmt mtu 1500 type bridge
ip -n f1-server0 link set lo alias aifabric-fabric:f1
ip -n f1-server0 link set lo up
ip -n f1-server0 link set rail0 up
ip -n f1-server0 link set rail1 up
ip -n f1-server0 link set mgmt0 up
ip -n f1-server0 addr add 10.0.0.3/29 dev rail0
ip -n f1-server0 addr add 10.0.0.11/29 dev rail1
ip -n f1-server0 addr add 172.31.0.10/16 dev mgmt0
ip -n f1-server0 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev rail0 nexthop via 10.0.0.2 dev rail0 nexthop via 10.0.0.9 dev rail1 nexthop via 10.0.0.10 dev rail1
ip -n f1-server1 link set lo alias aifabric-fabric:f1
ip -n f1-server1 link set lo up
ip -n f1-server1 link set rail0 up
ip -n f1-server1 link set rail1 up
ip -n f1-server1 link set mgmt0 up
ip -n f1-server1 addr add 10.0.0.4/29 dev rail0
ip -n f1-server1 addr add 10.0.0.12/29 dev rail1
ip -n f1-server1 addr add 172.31.0.11/16 dev mgmt0
ip -n f1-server1 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev rail0 nexthop via 10.0.0.2 dev rail0 nexthop via 10.0.0.9 dev rail1 nexthop via 10.0.0.10 dev rail1
ip -n f1-server2 link set lo alias aifabric-fabric:f1
ip -n f1-server2 link set lo up
ip -n f1-server2 link set rail0 up
ip -n f1-server2 link set rail1 up
ip -n f1-server2 link set mgmt0 up
ip -n f1-server2 addr add 10.0.0.5/29 dev rail0
ip -n f1-server2 addr add 10.0.0.13/29 dev rail1
ip -n f1-server2 addr add 172.31.0.12/16 dev mgmt0
ip -n f1-server2 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev rail0 nexthop via 10.0.0.2 dev rail0 nexthop via 10.0.0.9 dev rail1 nexthop via 10.0.0.10 dev rail1
ip -n f1-server3 link set lo alias aifabric-fabric:f1
ip -n f1-server3 link set lo up
ip -n f1-server3 link set rail0 up
ip -n f1-server3 link set rail1 up
ip -n f1-server3 link set mgmt0 up
ip -n f1-server3 addr add 10.0.0.6/29 dev rail0
ip -n f1-server3 addr add 10.0.0.14/29 dev rail1
ip -n f1-server3 addr add 172.31.0.13/16 dev mgmt0
ip -n f1-server3 route add 10.0.0.0/16 nexthop via 10.0.0.1 dev rail0 nexthop via 10.0.0.2 dev rail0 nexthop via 10.0.0.9 dev rail1 nexthop via 10.0.0.10 dev rail1
ip -n f1-rail0 link set lo alias aifabric-fabric:f1
ip -n f1-rail0 link set server0 master br0
ip -n f1-rail0 link set server1 master br0
ip -n f1-rail0 link set server2 master br0
ip -n f1-rail0 link set server3 master br0
ip -n f1-rail0 link set spine0 master br0
ip -n f1-rail0 link set spine1 master br0
ip -n f1-rail0 link set lo up
ip -n f1-rail0 link set server0 up
ip -n f1-rail0 link set server1 up
ip -n f1-rail0 link set server2 up
ip -n f1-rail0 link set server3 up
ip -n f1-rail0 link set br0 up
ip -n f1-rail0 link set spine0 up
ip -n f1-rail0 link set spine1 up
ip -n f1-rail1 link set lo alias aifabric-fabric:f1
ip -n f1-rail1 link set server0 master br0
ip -n f1-rail1 link set server1 master br0
ip -n f1-rail1 link set server2 master br0
ip -n f1-rail1 link set server3 master br0
ip -n f1-rail1 link set spine0 master br0
ip -n f1-rail1 link set spine1 master br0
ip -n f1-rail1 link set lo up
ip -n f1-rail1 link set server0 up
ip -n f1-rail1 link set server1 up
ip -n f1-rail1 link set server2 up
ip -n f1-rail1 link set server3 up
ip -n f1-rail1 link set br0 up
ip -n f1-rail1 link set spine0 up
ip -n f1-rail1 link set spine1 up
ip -n f1-spine0 link set lo alias aifabric-fabric:f1
ip -n f1-spine0 link set lo up
ip -n f1-spine0 link set rail0 up
ip -n f1-spine0 link set rail1 up
ip -n f1-spine0 addr add 10.0.0.1/29 dev rail0
ip -n f1-spine0 addr add 10.0.0.9/29 dev rail1
ip -n f1-spine1 link set lo alias aifabric-fabric:f1
ip -n f1-spine1 link set lo up
ip -n f1-spine1 link set rail0 up
ip -n f1-spine1 link set rail1 up
ip -n f1-spine1 addr add 10.0.0.2/29 dev rail0
ip -n f1-spine1 addr add 10.0.0.10/29 dev rail1
ip -n f1-mgmt link set lo alias aifabric-fabric:f1
ip -n f1-mgmt link set server0 master mgmt
ip -n f1-mgmt link set server1 master mgmt
ip -n f1-mgmt link set server2 master mgmt
ip -n f1-mgmt link set server3 master mgmt
ip -n f1-mgmt link set lo up
ip -n f1-mgmt link set server0 up
ip -n f1-mgmt link set server1 up
ip -n f1-mgmt link set server2 up
ip -n f1-mgmt link set server3 up
ip -n f1-mgmt link set mgmt up
tc -n f1-server0 qdisc add dev rail0 root handle 10: netem delay 5us limit 1000
tc -n f1-server0 qdisc add dev rail1 root handle 10: netem delay 5us limit 1000
tc -n f1-server1 qdisc add dev rail0 root handle 10: netem delay 5us limit 1000
tc -n f1-server1 qdisc add dev rail1 root handle 10: netem delay 5us limit 1000
tc -n f1-server2 qdisc add dev rail0 root handle 10: netem delay 5us limit 1000
tc -n f1-server2 qdisc add dev rail1 root handle 10: netem delay 5us limit 1000
tc -n f1-server3 qdisc add dev rail0 root handle 10: netem delay 5us limit 1000
tc -n f1-server3 qdisc add dev rail1 root handle 10: netem delay 5us limit 1000
tc -n f1-rail0 qdisc add dev spine0 root handle 1: htb default 1
tc -n f1-rail0 class add dev spine0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail0 qdisc add dev spine1 root handle 1: htb default 1
tc -n f1-rail0 class add dev spine1 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail0 qdisc add dev server0 root handle 1: htb default 1
tc -n f1-rail0 class add dev server0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail0 qdisc add dev server1 root handle 1: htb default 1
tc -n f1-rail0 class add dev server1 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail0 qdisc add dev server2 root handle 1: htb default 1
tc -n f1-rail0 class add dev server2 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail0 qdisc add dev server3 root handle 1: htb default 1
tc -n f1-rail0 class add dev server3 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail0 qdisc add dev server0 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail0 qdisc add dev server1 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail0 qdisc add dev server2 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail0 qdisc add dev server3 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail1 qdisc add dev spine0 root handle 1: htb default 1
tc -n f1-rail1 class add dev spine0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail1 qdisc add dev spine1 root handle 1: htb default 1
tc -n f1-rail1 class add dev spine1 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail1 qdisc add dev server0 root handle 1: htb default 1
tc -n f1-rail1 class add dev server0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail1 qdisc add dev server1 root handle 1: htb default 1
tc -n f1-rail1 class add dev server1 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail1 qdisc add dev server2 root handle 1: htb default 1
tc -n f1-rail1 class add dev server2 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail1 qdisc add dev server3 root handle 1: htb default 1
tc -n f1-rail1 class add dev server3 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-rail1 qdisc add dev server0 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail1 qdisc add dev server1 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail1 qdisc add dev server2 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-rail1 qdisc add dev server3 parent 1:1 handle 10: netem delay 5us limit 1000
tc -n f1-spine0 qdisc add dev rail0 root handle 1: htb default 1
tc -n f1-spine0 class add dev rail0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-spine0 qdisc add dev rail1 root handle 1: htb default 1
tc -n f1-spine0 class add dev rail1 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-spine1 qdisc add dev rail0 root handle 1: htb default 1
tc -n f1-spine1 class add dev rail0 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
tc -n f1-spine1 qdisc add dev rail1 root handle 1: htb default 1
tc -n f1-spine1 class add dev rail1 parent 1: classid 1:1 htb rate 100mbit ceil 100mbit burst 18028 cburst 18028 quantum 200000
